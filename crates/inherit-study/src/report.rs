//! The study's outputs: `report.md`, `results.csv`, plots (SVG + PNG) and `manifest.json`.
//!
//! The report states a finding computed from the numbers: the generator's own skew, the
//! change of the headline gap from γ = 0 to the largest γ without mitigation (paired
//! t-test over seeds), and the mitigation that lowered it most at the largest γ (paired
//! t-tests against `none`, Holm-corrected); "not significant" is said plainly.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use std::time::Instant;

use inherit_core::{Dataset, Origin};
use inherit_eval::misalign::{MeanDistance, MmdResult};
use inherit_eval::report::{
    ResultRecord, aggregate, group_imbalance_chart, markdown_table, metric_vs_gamma, save_plot,
    write_csv,
};
use inherit_eval::stats::{holm_bonferroni, paired_t_test};
use serde::{Deserialize, Serialize};

use crate::config::ValidStudyConfig;
use crate::error::Result;
use crate::generate::Imbalance;
use crate::models::ModelFile;
use crate::runner::Timings;
use crate::task::Task;

/// What the run hands to the report.
pub struct RunData<'a> {
    /// The config.
    pub config: &'a ValidStudyConfig,
    /// The task.
    pub task: &'a dyn Task,
    /// The downstream model's id.
    pub downstream_id: String,
    /// The generator's id.
    pub generator_id: String,
    /// Group imbalance under neutral prompts.
    pub imbalance: &'a Imbalance,
    /// Embedding shift per bias type.
    pub shifts: &'a [Shift],
    /// The augmented pool per bias type.
    pub pools: &'a [(String, Dataset)],
    /// This configuration's cell results (the grid's).
    pub records: &'a [ResultRecord],
    /// The self-augmentation chains' results ([`crate::rounds`]; empty without rounds).
    pub rounds: &'a [ResultRecord],
    /// Model files.
    pub files: &'a [ModelFile],
    /// Timings.
    pub timings: &'a Timings,
    /// Sizes of D_o and the test set.
    pub suite: (usize, usize),
    /// Records dropped when merging the results files because their key was seen before.
    pub duplicates: usize,
    /// Keys found with different results in two results files (the first is kept).
    pub conflicts: usize,
}

/// Original-vs-augmented embedding shift of one pool.
#[derive(Debug, Clone, Serialize, Deserialize)]
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

/// One mitigation-vs-none comparison at one γ (paired over seeds).
#[derive(Debug, Clone, Serialize)]
pub struct Effect {
    /// Bias type id.
    pub bias_type: String,
    /// γ.
    pub gamma: f64,
    /// Mitigation spec.
    pub mitigation: String,
    /// The metric compared (the task's headline).
    pub metric: String,
    /// Mean without mitigation.
    pub mean_none: f64,
    /// Mean with the mitigation.
    pub mean_mitigated: f64,
    /// Paired t-test p-value.
    pub p_value: f64,
    /// Holm-adjusted over all comparisons of the report.
    pub p_holm: f64,
}

/// The inheritance test of one bias type: the headline metric without mitigation at the
/// largest γ against γ = 0, paired over seeds.
#[derive(Debug, Clone, Serialize)]
pub struct Inheritance {
    /// Bias type id.
    pub bias_type: String,
    /// The metric (the task's headline).
    pub metric: String,
    /// The largest γ of the grid.
    pub gamma: f64,
    /// Mean at γ = 0.
    pub mean_base: f64,
    /// Mean at the largest γ.
    pub mean_top: f64,
    /// Seeds paired.
    pub n: usize,
    /// Paired t-test p-value (NaN with fewer than two seeds or no variance).
    pub p_value: f64,
}

/// Counts of the two compared groups (inferred from the text) and the rest, for `label`.
fn group_counts(data: &RunData<'_>, pool: &Dataset, label: &str) -> (usize, usize, usize) {
    let g = data.task.groups();
    let (mut a, mut b, mut u) = (0, 0, 0);
    for e in pool
        .examples
        .iter()
        .filter(|e| e.label.as_deref() == Some(label))
    {
        match e.groups.get_origin(&g.axis, Origin::Inferred) {
            Some(x) if x == g.a => a += 1,
            Some(x) if x == g.b => b += 1,
            _ => u += 1,
        }
    }
    (a, b, u)
}

/// A p-value with three decimals, or in scientific notation below 0.001.
fn fmt_p(p: f64) -> String {
    if p.is_nan() {
        "–".into()
    } else if p < 1e-3 {
        format!("{p:.1e}")
    } else {
        format!("{p:.3}")
    }
}

fn fmt_share(a: usize, b: usize) -> String {
    if a + b == 0 {
        "–".into()
    } else {
        format!("{:.2}", a as f64 / (a + b) as f64)
    }
}

/// `metric` per seed for one (bias type, γ, mitigation).
fn series(
    records: &[ResultRecord],
    bias: &str,
    gamma: f64,
    mitigation: &str,
    metric: &str,
) -> BTreeMap<u64, f64> {
    records
        .iter()
        .filter(|r| r.bias_type == bias && r.gamma == gamma && r.mitigation == mitigation)
        .filter_map(|r| r.metrics.get(metric).map(|v| (r.seed, *v)))
        .collect()
}

/// Paired means and t-test p-value of two per-seed series (seeds present in both).
fn paired(a: &BTreeMap<u64, f64>, b: &BTreeMap<u64, f64>) -> (f64, f64, usize, f64) {
    let seeds: Vec<u64> = a.keys().filter(|s| b.contains_key(s)).copied().collect();
    let x: Vec<f64> = seeds.iter().map(|s| a[s]).collect();
    let y: Vec<f64> = seeds.iter().map(|s| b[s]).collect();
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len().max(1) as f64;
    let p = if seeds.len() >= 2 {
        paired_t_test(&x, &y).map(|t| t.p_value).unwrap_or(f64::NAN)
    } else {
        f64::NAN
    };
    (mean(&x), mean(&y), seeds.len(), p)
}

fn headline(data: &RunData<'_>) -> String {
    data.task
        .key_metrics()
        .first()
        .map(|m| m.name.clone())
        .unwrap_or_else(|| "accuracy".into())
}

fn gamma_max(data: &RunData<'_>) -> f64 {
    data.config.gammas.iter().copied().fold(0.0, f64::max)
}

/// The inheritance test per bias type (needs γ = 0 and a larger γ in the grid).
pub fn inheritance(data: &RunData<'_>) -> Vec<Inheritance> {
    let metric = headline(data);
    let gmax = gamma_max(data);
    if gmax == 0.0 || !data.config.gammas.contains(&0.0) {
        return Vec::new();
    }
    data.config
        .bias_types
        .iter()
        .map(|bias| {
            let top = series(data.records, bias, gmax, "none", &metric);
            let base = series(data.records, bias, 0.0, "none", &metric);
            let (mean_top, mean_base, n, p_value) = paired(&top, &base);
            Inheritance {
                bias_type: bias.clone(),
                metric: metric.clone(),
                gamma: gmax,
                mean_base,
                mean_top,
                n,
                p_value,
            }
        })
        .filter(|i| i.n > 0)
        .collect()
}

/// Paired (by seed) t-tests of each mitigation against `none` on the headline metric, per
/// bias type and γ > 0, with Holm correction across all of them.
pub fn effects(data: &RunData<'_>) -> Vec<Effect> {
    let metric = headline(data);
    let mut out = Vec::new();
    let mut p = Vec::new();
    for bias in &data.config.bias_types {
        for &gamma in data.config.gammas.iter().filter(|g| **g > 0.0) {
            let none = series(data.records, bias, gamma, "none", &metric);
            for mitigation in data.config.mitigations.iter().filter(|m| *m != "none") {
                let mitigated = series(data.records, bias, gamma, mitigation, &metric);
                let (mean_mitigated, mean_none, n, p_value) = paired(&mitigated, &none);
                if n < 2 {
                    continue;
                }
                p.push(if p_value.is_nan() { 1.0 } else { p_value });
                out.push(Effect {
                    bias_type: bias.clone(),
                    gamma,
                    mitigation: mitigation.clone(),
                    metric: metric.clone(),
                    mean_none,
                    mean_mitigated,
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

fn significance(p: f64) -> &'static str {
    if p < 0.05 {
        "significant"
    } else {
        "not significant"
    }
}

/// A plain-English paragraph computed from the numbers.
fn finding(data: &RunData<'_>, inherit: &[Inheritance], effects: &[Effect]) -> String {
    let mut s = String::new();
    let g = data.task.groups();
    let metric = headline(data);
    let what = data
        .task
        .key_metrics()
        .first()
        .map(|m| m.description.clone())
        .unwrap_or_default();
    // The generator's own skew.
    let mut skews: Vec<(String, f64)> = data
        .imbalance
        .distribution
        .per_label
        .iter()
        .filter_map(|(label, c)| {
            let a = *c.counts.get(&g.a).unwrap_or(&0);
            let b = *c.counts.get(&g.b).unwrap_or(&0);
            (a + b > 0).then(|| (label.clone(), a as f64 / (a + b) as f64))
        })
        .collect();
    skews.sort_by(|x, y| y.1.total_cmp(&x.1));
    if let (Some(most), Some(least)) = (skews.first(), skews.last()) {
        let _ = write!(
            s,
            "Asked neutrally, the generator wrote about `{}` (vs `{}`) in {:.0}% of its {} texts and in {:.0}% of its {} texts (groups inferred from the text). ",
            g.a,
            g.b,
            most.1 * 100.0,
            most.0.replace('_', " "),
            least.1 * 100.0,
            least.0.replace('_', " "),
        );
    }
    for i in inherit {
        let verb = if i.mean_top > i.mean_base {
            "rose"
        } else {
            "did not rise"
        };
        let test = if i.n < 2 || i.p_value.is_nan() {
            format!("{} seed(s): no paired test", i.n)
        } else {
            format!(
                "paired t-test over {} seeds, p = {}, {}",
                i.n,
                fmt_p(i.p_value),
                significance(i.p_value)
            )
        };
        let _ = write!(
            s,
            "With `{}` data and no mitigation, `{metric}` ({what}) {verb} from {:.3} at γ = 0 to {:.3} at γ = {} ({test}). ",
            i.bias_type, i.mean_base, i.mean_top, i.gamma,
        );
    }
    let gmax = gamma_max(data);
    for bias in &data.config.bias_types {
        let best = effects
            .iter()
            .filter(|e| &e.bias_type == bias && e.gamma == gmax)
            .min_by(|a, b| a.mean_mitigated.total_cmp(&b.mean_mitigated));
        if let Some(e) = best {
            let _ = write!(
                s,
                "At γ = {gmax} (`{bias}`) the lowest `{metric}` came with `{}` ({:.3} vs {:.3} without mitigation; Holm-adjusted p = {}, {} at 0.05). ",
                e.mitigation,
                e.mean_mitigated,
                e.mean_none,
                fmt_p(e.p_holm),
                significance(e.p_holm),
            );
        }
    }
    if s.is_empty() {
        s.push_str("Not enough cells to state a finding.");
    }
    s.trim_end().to_owned()
}

fn join_code<T: std::fmt::Display>(items: &[T]) -> String {
    items
        .iter()
        .map(|b| format!("`{b}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Writes every output file and returns the finding paragraph.
pub fn write_outputs(data: &RunData<'_>, out: &Path, started: Instant) -> Result<String> {
    let rows = aggregate(data.records, 0.95)?;
    write_csv(out.join("results.csv"), &rows)?;
    let inherit = inheritance(data);
    let effects = effects(data);
    let metric = headline(data);
    let (rounds_md, rounds_finding) = crate::rounds::section(data.rounds, data.task, &metric);
    let mut finding = finding(data, &inherit, &effects);
    if !rounds_finding.is_empty() {
        finding = format!("{finding} {rounds_finding}");
    }
    let cfg = data.config;
    let task = data.task;
    let g = task.groups();
    let metrics = task.key_metrics();

    // Plots.
    let plots = out.join("plots");
    let mut plot_files = Vec::new();
    for bias in &cfg.bias_types {
        for m in &metrics {
            let chart = metric_vs_gamma(&rows, task.name(), bias, &data.downstream_id, &m.name)?;
            let (svg, png) = save_plot(&chart.to_svg()?, plots.join(format!("{}-{bias}", m.name)))?;
            plot_files.push((m.name.clone(), bias.clone(), svg, png));
        }
    }
    let shares: Vec<(String, BTreeMap<String, f64>)> = data
        .imbalance
        .distribution
        .per_label
        .iter()
        .map(|(label, counts)| (label.clone(), counts.shares()))
        .collect();
    let chart = group_imbalance_chart(
        &format!("Generator's inferred {} under neutral prompts", g.axis),
        &shares,
    );
    let (imb_svg, _) = save_plot(&chart.to_svg()?, plots.join("group-imbalance"))?;

    // report.md
    let mut md = String::new();
    let _ = writeln!(md, "# Bias inheritance study: {}\n", task.name());
    let _ = writeln!(md, "## Finding\n\n{finding}\n");
    let _ = writeln!(
        md,
        "## Setup\n\n- Task `{}`: D_o has {} training examples, the balanced test set {}; groups compared on `{}`: `{}` − `{}`.\n- Generator: `{}`; bias types: {}; γ ∈ {:?}; mitigations: {}; seeds: {:?}.\n- Downstream model: `{}` ({} epochs), trained anew in every cell.\n",
        task.name(),
        data.suite.0,
        data.suite.1,
        g.axis,
        g.a,
        g.b,
        data.generator_id,
        join_code(&cfg.bias_types),
        cfg.gammas,
        join_code(&cfg.mitigations),
        cfg.seeds,
        data.downstream_id,
        cfg.downstream.epochs,
    );
    let _ = writeln!(
        md,
        "## Group data misalignment: the generator under neutral prompts\n"
    );
    let _ = writeln!(
        md,
        "| label | {a} | {b} | undetermined | {a} share | χ² vs 50/50 p |\n|---|---:|---:|---:|---:|---:|",
        a = g.a,
        b = g.b
    );
    for (label, counts) in &data.imbalance.distribution.per_label {
        let a = *counts.counts.get(&g.a).unwrap_or(&0);
        let b = *counts.counts.get(&g.b).unwrap_or(&0);
        let p = data
            .imbalance
            .tests
            .iter()
            .find(|t| &t.slice == label)
            .and_then(|t| t.test.as_ref())
            .map_or("–".to_owned(), |t| format!("{:.3e}", t.p_value));
        let _ = writeln!(
            md,
            "| {label} | {a} | {b} | {} | {} | {p} |",
            counts.missing,
            fmt_share(a, b)
        );
    }
    let _ = writeln!(md, "\n![group imbalance]({})\n", rel(out, &imb_svg));

    let _ = writeln!(
        md,
        "## The augmented pools (inferred `{}` per label)\n",
        g.axis
    );
    let _ = writeln!(
        md,
        "| bias type | label | {a} | {b} | other or undetermined | {a} share |\n|---|---|---:|---:|---:|---:|",
        a = g.a,
        b = g.b
    );
    for (bias, pool) in data.pools {
        for label in &pool.labels {
            let (a, b, u) = group_counts(data, pool, label);
            let _ = writeln!(
                md,
                "| {bias} | {label} | {a} | {b} | {u} | {} |",
                fmt_share(a, b)
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
    for m in &metrics {
        let _ = writeln!(md, "- `{}`: {}", m.name, m.description);
    }
    let _ = writeln!(md);
    let names: Vec<&str> = metrics.iter().map(|m| m.name.as_str()).collect();
    md.push_str(&markdown_table(&rows, &names));
    let _ = writeln!(md);
    for (metric, bias, svg, _) in &plot_files {
        let _ = writeln!(md, "![{metric} vs γ ({bias})]({})", rel(out, svg));
    }

    let _ = writeln!(
        md,
        "\n## Inheritance: γ = 0 vs the largest γ without mitigation (`{metric}`, paired t-test over seeds)\n"
    );
    if inherit.is_empty() {
        let _ = writeln!(md, "Needs γ = 0 and a larger γ in the grid.\n");
    } else {
        let _ = writeln!(
            md,
            "| bias type | γ | at γ = 0 | at γ | seeds | p |\n|---|---:|---:|---:|---:|---:|"
        );
        for i in &inherit {
            let _ = writeln!(
                md,
                "| {} | {} | {:.3} | {:.3} | {} | {} |",
                i.bias_type,
                i.gamma,
                i.mean_base,
                i.mean_top,
                i.n,
                fmt_p(i.p_value)
            );
        }
        let _ = writeln!(md);
    }
    let _ = writeln!(
        md,
        "## Mitigations vs none (`{metric}`; paired t-test over seeds, Holm-corrected)\n"
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
                "| {} | {} | {} | {:.3} | {:.3} | {} | {} |",
                e.bias_type,
                e.gamma,
                e.mitigation,
                e.mean_none,
                e.mean_mitigated,
                fmt_p(e.p_value),
                fmt_p(e.p_holm)
            );
        }
        let _ = writeln!(md);
    }
    md.push_str(&rounds_md);
    let t = data.timings;
    let _ = writeln!(
        md,
        "## Timings\n\nmodels {:.1} s, neutral generation {:.1} s, augmentation {:.1} s, embedding shift {:.1} s, cells {:.1} s ({} run, {} reused).\n",
        t.models_s, t.imbalance_s, t.augment_s, t.shift_s, t.cells_s, t.cells_run, t.cells_skipped
    );
    inherit_core::io::write_atomic(out.join("report.md"), md.as_bytes())?;

    // manifest.json
    let mut timings = t.clone();
    timings.report_s = started.elapsed().as_secs_f64();
    let manifest = serde_json::json!({
        "tool": "inherit-study",
        "version": env!("CARGO_PKG_VERSION"),
        "results_schema": crate::key::RESULTS_SCHEMA,
        "config": cfg,
        "seeds": cfg.seeds,
        "task": task.identity(),
        "generator": data.generator_id,
        "downstream": data.downstream_id,
        "models": data.files,
        "data": {
            "train_size": data.suite.0,
            "test_size": data.suite.1,
        },
        "imbalance": data.imbalance,
        "shifts": data.shifts,
        "inheritance": inherit,
        "effects": effects,
        "cells": data.records.len(),
        "round_cells": data.rounds.len(),
        "merge": {"duplicates_dropped": data.duplicates, "conflicts": data.conflicts},
        "runs": crate::history::runs(&out.join("manifest.json"), &timings),
        "timings": timings,
    });
    inherit_core::io::write_atomic(
        out.join("manifest.json"),
        serde_json::to_string_pretty(&manifest)?.as_bytes(),
    )?;
    Ok(finding)
}

fn rel(base: &Path, p: &Path) -> String {
    p.strip_prefix(base).unwrap_or(p).display().to_string()
}
