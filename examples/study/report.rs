//! Step 6 of the study: `report.md`, `results.csv`, plots (SVG + PNG) and `manifest.json`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use std::time::Instant;

use inherit::core::{Axis, Dataset};
use inherit::eval::misalign::{MeanDistance, MmdResult};
use inherit::eval::report::{
    AggregateRow, aggregate, group_imbalance_chart, markdown_table, metric_vs_gamma, save_plot,
    write_csv,
};
use inherit::eval::stats::{holm_bonferroni, paired_t_test};
use serde::Serialize;

use crate::run::{BoxResult, RunData};

/// The metrics the report tabulates and plots, with a plain description.
pub const KEY_METRICS: [(&str, &str); 5] = [
    ("accuracy", "test accuracy"),
    ("accuracy_gap", "accuracy on women minus accuracy on men"),
    (
        "tpr_gap_rms",
        "RMS over occupations of the female − male TPR gap",
    ),
    (
        "dp_gap_max",
        "largest female − male gap in the rate of predicting an occupation",
    ),
    (
        "bias_amplification",
        "bias amplification over the training mix (Zhao et al. 2017)",
    ),
];

/// The metric whose mitigation effects the report tests and the finding describes.
const HEADLINE: &str = "tpr_gap_rms";

/// Original-vs-augmented embedding shift of one pool.
#[derive(Debug, Clone, Serialize)]
pub struct Shift {
    /// Bias type id.
    pub bias_type: String,
    /// Original texts embedded.
    pub n_original: usize,
    /// Augmented texts embedded.
    pub n_augmented: usize,
    /// MMD² with permutation p-value.
    pub mmd: MmdResult,
    /// Distance of the mean embeddings.
    pub mean_distance: MeanDistance,
}

/// One mitigation-vs-none comparison.
#[derive(Debug, Clone, Serialize)]
struct Effect {
    bias_type: String,
    gamma: f64,
    mitigation: String,
    metric: String,
    mean_none: f64,
    mean_mitigated: f64,
    p_value: f64,
    p_holm: f64,
}

fn female_share(data: &Dataset, label: &str) -> (usize, usize, usize) {
    let (mut f, mut m, mut u) = (0, 0, 0);
    for e in data
        .examples
        .iter()
        .filter(|e| e.label.as_deref() == Some(label))
    {
        match e
            .groups
            .get_origin(&Axis::Gender, inherit::core::Origin::Inferred)
        {
            Some("female") => f += 1,
            Some("male") => m += 1,
            _ => u += 1,
        }
    }
    (f, m, u)
}

/// A p-value with three decimals, or in scientific notation below 0.001.
fn fmt_p(p: f64) -> String {
    if p < 1e-3 {
        format!("{p:.1e}")
    } else {
        format!("{p:.3}")
    }
}

fn fmt_share(f: usize, m: usize) -> String {
    if f + m == 0 {
        "–".into()
    } else {
        format!("{:.2}", f as f64 / (f + m) as f64)
    }
}

/// Paired (by seed) t-tests of each mitigation against `none` on the headline metric, per
/// bias type and γ > 0, with Holm correction across all of them.
fn effects(data: &RunData<'_>) -> Vec<Effect> {
    let mut out = Vec::new();
    let mut p = Vec::new();
    for bias in &data.config.bias_types {
        for &gamma in data.config.gammas.iter().filter(|g| **g > 0.0) {
            let series = |mitigation: &str| -> BTreeMap<u64, f64> {
                data.records
                    .iter()
                    .filter(|r| {
                        &r.bias_type == bias && r.gamma == gamma && r.mitigation == mitigation
                    })
                    .filter_map(|r| r.metrics.get(HEADLINE).map(|v| (r.seed, *v)))
                    .collect()
            };
            let none = series("none");
            for mitigation in data.config.mitigations.iter().filter(|m| *m != "none") {
                let mitigated = series(mitigation);
                let seeds: Vec<u64> = none
                    .keys()
                    .filter(|s| mitigated.contains_key(s))
                    .copied()
                    .collect();
                if seeds.len() < 2 {
                    continue;
                }
                let a: Vec<f64> = seeds.iter().map(|s| mitigated[s]).collect();
                let b: Vec<f64> = seeds.iter().map(|s| none[s]).collect();
                let p_value = paired_t_test(&a, &b).map(|t| t.p_value).unwrap_or(f64::NAN);
                let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
                p.push(if p_value.is_nan() { 1.0 } else { p_value });
                out.push(Effect {
                    bias_type: bias.clone(),
                    gamma,
                    mitigation: mitigation.clone(),
                    metric: HEADLINE.into(),
                    mean_none: mean(&b),
                    mean_mitigated: mean(&a),
                    p_value,
                    p_holm: f64::NAN,
                });
            }
        }
    }
    for (e, adj) in out.iter_mut().zip(holm_bonferroni(&p)) {
        e.p_holm = adj;
    }
    out
}

fn mean_of(
    rows: &[AggregateRow],
    bias: &str,
    gamma: f64,
    mitigation: &str,
    metric: &str,
) -> Option<f64> {
    rows.iter()
        .find(|r| {
            r.bias_type == bias
                && r.gamma == gamma
                && r.mitigation == mitigation
                && r.metric == metric
        })
        .map(|r| r.mean)
}

/// A plain-English paragraph computed from the numbers.
fn finding(data: &RunData<'_>, rows: &[AggregateRow], effects: &[Effect]) -> String {
    let mut s = String::new();
    // The generator's own skew.
    let mut skews: Vec<(String, f64)> = data
        .imbalance
        .distribution
        .per_label
        .iter()
        .filter_map(|(label, c)| {
            let total = c.total();
            (total > 0).then(|| {
                (
                    label.clone(),
                    *c.counts.get("female").unwrap_or(&0) as f64 / total as f64,
                )
            })
        })
        .collect();
    skews.sort_by(|a, b| b.1.partial_cmp(&a.1).unwrap_or(std::cmp::Ordering::Equal));
    if let (Some(most), Some(least)) = (skews.first(), skews.last()) {
        let _ = write!(
            s,
            "Asked neutrally, the generator wrote about women in {:.0}% of its {} biographies and in {:.0}% of its {} biographies (gender read from pronouns, names and gendered words). ",
            most.1 * 100.0,
            most.0.replace('_', " "),
            least.1 * 100.0,
            least.0.replace('_', " "),
        );
    }
    let gmax = data.config.gammas.iter().copied().fold(0.0, f64::max);
    for bias in &data.config.bias_types {
        let base = mean_of(rows, bias, 0.0, "none", HEADLINE);
        let top = mean_of(rows, bias, gmax, "none", HEADLINE);
        if let (Some(base), Some(top)) = (base, top) {
            let verb = if top > base { "rose" } else { "did not rise" };
            let _ = write!(
                s,
                "With `{bias}` data and no mitigation, the female − male TPR gap (RMS over occupations) {verb} from {base:.3} at γ = 0 to {top:.3} at γ = {gmax}. "
            );
        }
        let best = effects
            .iter()
            .filter(|e| &e.bias_type == bias && e.gamma == gmax)
            .min_by(|a, b| {
                a.mean_mitigated
                    .partial_cmp(&b.mean_mitigated)
                    .unwrap_or(std::cmp::Ordering::Equal)
            });
        if let Some(e) = best {
            let sig = if e.p_holm < 0.05 {
                "significant"
            } else {
                "not significant"
            };
            let _ = write!(
                s,
                "At γ = {gmax} the lowest gap came with `{}` ({:.3} vs {:.3} without mitigation; paired t-test over seeds, Holm-adjusted p = {}, {sig} at 0.05). ",
                e.mitigation,
                e.mean_mitigated,
                e.mean_none,
                fmt_p(e.p_holm)
            );
        }
    }
    if s.is_empty() {
        s.push_str("Not enough cells to state a finding.");
    }
    s.trim_end().to_owned()
}

/// Writes every output file and returns the finding paragraph.
pub fn write_outputs(data: &RunData<'_>, out: &Path, started: Instant) -> BoxResult<String> {
    let rows = aggregate(data.records, 0.95)?;
    write_csv(out.join("results.csv"), &rows)?;
    let effects = effects(data);
    let finding = finding(data, &rows, &effects);
    let cfg = data.config;

    // Plots.
    let plots = out.join("plots");
    let mut plot_files = Vec::new();
    for bias in &cfg.bias_types {
        for (metric, _) in KEY_METRICS {
            let model = rows
                .iter()
                .find(|r| &r.bias_type == bias)
                .map(|r| r.model.clone())
                .unwrap_or_default();
            let chart = metric_vs_gamma(&rows, "occupation", bias, &model, metric)?;
            let (svg, png) = save_plot(&chart.to_svg()?, plots.join(format!("{metric}-{bias}")))?;
            plot_files.push((metric, bias.clone(), svg, png));
        }
    }
    let shares: Vec<(String, BTreeMap<String, f64>)> = data
        .imbalance
        .distribution
        .per_label
        .iter()
        .map(|(label, counts)| (label.clone(), counts.shares()))
        .collect();
    let chart = group_imbalance_chart("Generator's inferred gender under neutral prompts", &shares);
    let (imb_svg, _) = save_plot(&chart.to_svg()?, plots.join("group-imbalance"))?;

    // report.md
    let mut md = String::new();
    let _ = writeln!(md, "# Bias inheritance study: occupation classification\n");
    let _ = writeln!(md, "## Finding\n\n{finding}\n");
    let _ = writeln!(
        md,
        "## Setup\n\n- D_o: built-in occupation suite, {} training and {} balanced test biographies (6 occupations x 2 genders x 5 cultures), titles scrubbed.\n- Generator: `{}`; bias types: {}; γ ∈ {:?}; mitigations: {}; seeds: {:?}.\n- Classifier: `{}` (embedding width {}, {} epochs), trained from scratch on each mix.\n",
        data.suite.0,
        data.suite.1,
        cfg.generator.kind,
        cfg.bias_types
            .iter()
            .map(|b| format!("`{b}`"))
            .collect::<Vec<_>>()
            .join(", "),
        cfg.gammas,
        cfg.mitigations
            .iter()
            .map(|m| format!("`{m}`"))
            .collect::<Vec<_>>()
            .join(", "),
        cfg.seeds,
        cfg.classifier.model,
        cfg.classifier.embed_dim,
        cfg.classifier.epochs,
    );
    let _ = writeln!(
        md,
        "## Group data misalignment: the generator under neutral prompts\n"
    );
    let _ = writeln!(
        md,
        "| occupation | female | male | undetermined | female share | χ² vs 50/50 p |\n|---|---:|---:|---:|---:|---:|"
    );
    for (label, counts) in &data.imbalance.distribution.per_label {
        let f = *counts.counts.get("female").unwrap_or(&0);
        let m = *counts.counts.get("male").unwrap_or(&0);
        let p = data
            .imbalance
            .tests
            .iter()
            .find(|t| &t.slice == label)
            .and_then(|t| t.test.as_ref())
            .map_or("–".to_owned(), |t| format!("{:.3e}", t.p_value));
        let _ = writeln!(
            md,
            "| {label} | {f} | {m} | {} | {} | {p} |",
            counts.missing,
            fmt_share(f, m)
        );
    }
    let _ = writeln!(md, "\n![group imbalance]({})\n", rel(out, &imb_svg));

    let _ = writeln!(
        md,
        "## The augmented pools (inferred gender per occupation)\n"
    );
    let _ = writeln!(
        md,
        "| bias type | occupation | female | male | undetermined | female share |\n|---|---|---:|---:|---:|---:|"
    );
    for (bias, pool) in data.pools {
        for label in &pool.labels {
            let (f, m, u) = female_share(pool, label);
            let _ = writeln!(
                md,
                "| {bias} | {label} | {f} | {m} | {u} | {} |",
                fmt_share(f, m)
            );
        }
    }
    let _ = writeln!(md);

    let _ = writeln!(
        md,
        "## Data distribution misalignment: original vs augmented embeddings\n"
    );
    if data.shifts.is_empty() {
        let _ = writeln!(md, "Skipped (no embedding model configured).\n");
    } else {
        let _ = writeln!(
            md,
            "| bias type | n orig | n aug | MMD² (RBF) | permutation p | mean-embedding distance |\n|---|---:|---:|---:|---:|---:|"
        );
        for s in data.shifts {
            let _ = writeln!(
                md,
                "| {} | {} | {} | {:.4} | {:.4} | {:.4} |",
                s.bias_type,
                s.n_original,
                s.n_augmented,
                s.mmd.mmd2,
                s.mmd.p_value,
                s.mean_distance.euclidean
            );
        }
        let _ = writeln!(md);
    }

    let _ = writeln!(
        md,
        "## Downstream metrics against γ (mean ± 95% CI half-width over seeds)\n"
    );
    for (metric, what) in KEY_METRICS {
        let _ = writeln!(md, "- `{metric}`: {what}");
    }
    let _ = writeln!(md);
    let names: Vec<&str> = KEY_METRICS.iter().map(|(m, _)| *m).collect();
    md.push_str(&markdown_table(&rows, &names));
    let _ = writeln!(md);
    for (metric, bias, svg, _) in &plot_files {
        let _ = writeln!(md, "![{metric} vs γ ({bias})]({})", rel(out, svg));
    }
    let _ = writeln!(
        md,
        "\n## Mitigations vs none (`{HEADLINE}`; paired t-test over seeds, Holm-corrected)\n"
    );
    if effects.is_empty() {
        let _ = writeln!(
            md,
            "Not enough seeds for tests (two or more paired seeds needed).\n"
        );
    } else {
        let _ = writeln!(
            md,
            "| bias type | γ | mitigation | none | mitigated | p | p (Holm) |\n|---|---:|---|---:|---:|---:|---:|"
        );
        for e in &effects {
            let _ = writeln!(
                md,
                "| {} | {} | {} | {:.3} | {:.3} | {:.3} | {:.3} |",
                e.bias_type,
                e.gamma,
                e.mitigation,
                e.mean_none,
                e.mean_mitigated,
                e.p_value,
                e.p_holm
            );
        }
        let _ = writeln!(md);
    }
    let t = data.timings;
    let _ = writeln!(
        md,
        "## Timings\n\nmodels {:.1} s, neutral generation {:.1} s, augmentation {:.1} s, embedding shift {:.1} s, cells {:.1} s ({} run, {} reused).\n",
        t.models_s, t.imbalance_s, t.augment_s, t.shift_s, t.cells_s, t.cells_run, t.cells_skipped
    );
    inherit::core::io::write_atomic(out.join("report.md"), md.as_bytes())?;

    // manifest.json
    let mut timings = t.clone();
    timings.report_s = started.elapsed().as_secs_f64();
    let manifest = serde_json::json!({
        "tool": "inherit study",
        "version": env!("CARGO_PKG_VERSION"),
        "config": cfg,
        "seeds": cfg.seeds,
        "models": data.files,
        "data": {
            "original": "built-in occupation suite (inherit-data)",
            "train_size": data.suite.0,
            "test_size": data.suite.1,
            "suite_seed": cfg.data.seed,
        },
        "imbalance": data.imbalance,
        "shifts": data.shifts,
        "effects": effects,
        "cells": data.records.len(),
        "timings": timings,
    });
    inherit::core::io::write_atomic(
        out.join("manifest.json"),
        serde_json::to_string_pretty(&manifest)?.as_bytes(),
    )?;
    Ok(finding)
}

fn rel(base: &Path, p: &Path) -> String {
    p.strip_prefix(base).unwrap_or(p).display().to_string()
}
