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
    ResultRecord, aggregate, fmt_p, markdown_table, metric_vs_gamma, save_plot, write_csv,
};
use serde::{Deserialize, Serialize};

use crate::config::ValidStudyConfig;
use crate::error::Result;
use crate::findings::{Effect, Findings, expand_baselines};
use crate::generate::Imbalance;
use crate::models::ModelFile;
use crate::runner::Timings;
use crate::task::Task;
use inherit_eval::stats::binomial_test;

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
    /// The mitigations whose γ = 0 cell is `none`'s (inert without augmented data).
    pub baseline: &'a [String],
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

fn fmt_share(a: usize, b: usize) -> String {
    if a + b == 0 {
        "–".into()
    } else {
        format!("{:.2}", a as f64 / (a + b) as f64)
    }
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

fn significance(p: f64) -> &'static str {
    if p < 0.05 {
        "significant"
    } else {
        "not significant"
    }
}

/// A difference with its interval: `0.123 [0.050, 0.190]`.
fn fmt_ci(x: f64, low: f64, high: f64) -> String {
    if low.is_nan() {
        format!("{x:.3}")
    } else {
        format!("{x:.3} [{low:.3}, {high:.3}]")
    }
}

/// A plain-English paragraph computed from the numbers.
fn finding(data: &RunData<'_>, f: &Findings) -> String {
    let mut s = String::new();
    let g = data.task.groups();
    let metric = &f.metric;
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
    let failed: usize = f.gate.iter().map(|r| r.total - r.passed).sum();
    if !f.gate.is_empty() {
        let total: usize = f.gate.iter().map(|r| r.total).sum();
        let _ = write!(
            s,
            "{} of {total} cells passed the gate (the model learned the task); {failed} did not learn the task and are left out of every finding. ",
            total - failed
        );
    }
    for i in &f.inheritance {
        let verb = if i.diff > 0.0 { "rose" } else { "did not rise" };
        let test = if i.n < 2 {
            format!("{} seed: no paired test", i.n)
        } else {
            format!(
                "Δ = {} ({}), {} seeds, t-test p = {}, exact sign-flip p = {}, Holm p = {}, {}; minimum detectable effect {:.3}",
                fmt_ci(i.diff, i.ci_low, i.ci_high),
                i.ci_method,
                i.n,
                if i.zero_variance {
                    "– (zero variance)".to_owned()
                } else {
                    fmt_p(i.p_value)
                },
                fmt_p(i.sign_flip_p),
                fmt_p(i.p_holm),
                significance(i.p_holm),
                i.mde
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
        if let Some(e) = f.best(bias, gmax) {
            s.push_str(&best_sentence(e, metric));
        }
        let flagged: Vec<&str> = f
            .effects
            .iter()
            .filter(|e| &e.bias_type == bias && e.gamma == gmax && e.degenerate.is_some())
            .map(|e| e.mitigation.as_str())
            .collect();
        if !flagged.is_empty() {
            let _ = write!(
                s,
                "Degenerate, never counted as a success: {} (see the mitigation table). ",
                join_code(&flagged)
            );
        }
    }
    if s.is_empty() {
        s.push_str("Not enough cells to state a finding.");
    }
    s.trim_end().to_owned()
}

/// The finding's sentence on the best mitigation, which says so when even the best one
/// left the headline larger than without mitigation.
fn best_sentence(e: &Effect, metric: &str) -> String {
    let lead = if e.mean_mitigated.abs() < e.mean_none.abs() {
        format!("the smallest |`{metric}`| among the mitigations that kept the task came with")
    } else {
        format!(
            "no mitigation that kept the task made |`{metric}`| smaller than without one; the closest was"
        )
    };
    format!(
        "At γ = {} (`{}`) {lead} `{}` ({:.3} vs {:.3} without mitigation; Holm-adjusted p = {}, {} at 0.05). ",
        e.gamma,
        e.bias_type,
        e.mitigation,
        e.mean_mitigated,
        e.mean_none,
        fmt_p(e.p_holm),
        significance(e.p_holm),
    )
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
    let records = expand_baselines(data.records, data.baseline);
    let rows = aggregate(&records, 0.95)?;
    write_csv(out.join("results.csv"), &rows)?;
    let metric = headline(data);
    let cfg = data.config;
    let findings = crate::findings::compute(
        data.records,
        &cfg.bias_types,
        &cfg.gammas,
        &cfg.mitigations,
        &metric,
    )?;
    let (rounds_md, rounds_finding) = crate::rounds::section(data.rounds, data.task, &metric);
    let mut finding = finding(data, &findings);
    if !rounds_finding.is_empty() {
        finding = format!("{finding} {rounds_finding}");
    }
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
    let counts: Vec<(String, BTreeMap<String, usize>)> = data
        .imbalance
        .distribution
        .per_label
        .iter()
        .map(|(label, counts)| (label.clone(), counts.counts.clone()))
        .collect();
    let chart = inherit_eval::report::group_counts_chart(
        &format!("Generator's inferred {} under neutral prompts", g.axis),
        &counts,
    );
    let (imb_svg, _) = save_plot(&chart.to_svg()?, plots.join("group-imbalance"))?;

    // report.md
    let mut md = String::new();
    let _ = writeln!(md, "# Bias inheritance study: {}\n", task.name());
    let _ = writeln!(md, "## Finding\n\n{finding}\n");
    let _ = writeln!(
        md,
        "## Setup\n\n- Task `{}`: D_o has {} training examples, the balanced test set {}; groups compared on `{}`: `{}` − `{}`.\n- Generator: `{}`; bias types: {}; γ ∈ {:?}; mitigations: {}; seeds: {:?}.\n- Downstream model: `{}` ({}), trained anew in every cell.\n",
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
        match cfg.downstream.max_steps {
            Some(steps) => format!("{steps} optimizer steps"),
            None => format!("{} epochs", cfg.downstream.epochs),
        },
    );
    let _ = writeln!(
        md,
        "## Group data misalignment: the generator under neutral prompts\n"
    );
    let _ = writeln!(
        md,
        "| label | {a} | {b} | undetermined | {a} share | exact binomial p ({a} vs {b}, 50/50) |\n|---|---:|---:|---:|---:|---:|",
        a = g.a,
        b = g.b
    );
    for (label, counts) in &data.imbalance.distribution.per_label {
        let a = *counts.counts.get(&g.a).unwrap_or(&0);
        let b = *counts.counts.get(&g.b).unwrap_or(&0);
        // Small counts: the exact test, not χ².
        let p = binomial_test(a as u64, (a + b) as u64, 0.5).map_or("–".to_owned(), fmt_p);
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

    md.push_str(&gate_section(&findings));
    md.push_str(&inheritance_section(&findings));
    md.push_str(&effects_section(&findings));
    md.push_str(&rounds_md);
    // Every run of this folder (a resume or a warm rerun adds one; the cold run's
    // timings are kept), as the manifest's history holds them.
    let mut timings = data.timings.clone();
    timings.report_s = started.elapsed().as_secs_f64();
    let runs = crate::history::runs(&out.join("manifest.json"), &timings);
    md.push_str(&timings_section(&runs));
    inherit_core::io::write_atomic(out.join("report.md"), md.as_bytes())?;

    // manifest.json
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
        "gate": findings.gate,
        "inheritance": findings.inheritance,
        "effects": findings.effects,
        "holm_family_size": findings.family_size,
        "cells": data.records.len(),
        "round_cells": data.rounds.len(),
        "merge": {"duplicates_dropped": data.duplicates, "conflicts": data.conflicts},
        "runs": runs,
        "timings": timings,
    });
    inherit_core::io::write_atomic(
        out.join("manifest.json"),
        serde_json::to_string_pretty(&manifest)?.as_bytes(),
    )?;
    Ok(finding)
}

/// The report's timings: one row per run of the folder (oldest first), seconds per stage
/// and the cells run and reused.
fn timings_section(runs: &[serde_json::Value]) -> String {
    let mut md = String::from(
        "## Timings\n\nOne row per run of this folder, the first one cold (a resumed or warm run adds a row; none is overwritten).\n\n| run | models (s) | neutral generation (s) | augmentation (s) | embedding shift (s) | cells (s) | cells run | cells reused |\n|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for (i, run) in runs.iter().enumerate() {
        let t = &run["timings"];
        let secs = |k: &str| t[k].as_f64().map_or("–".to_owned(), |v| format!("{v:.1}"));
        let count = |k: &str| t[k].as_u64().map_or("–".to_owned(), |v| v.to_string());
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            i + 1,
            secs("models_s"),
            secs("imbalance_s"),
            secs("augment_s"),
            secs("shift_s"),
            secs("cells_s"),
            count("cells_run"),
            count("cells_skipped")
        );
    }
    md.push('\n');
    md
}

fn rel(base: &Path, p: &Path) -> String {
    p.strip_prefix(base).unwrap_or(p).display().to_string()
}

fn gate_section(f: &Findings) -> String {
    let mut md = String::new();
    if f.gate.is_empty() {
        return md;
    }
    let _ = writeln!(
        md,
        "\n## Gate: did the model learn the task before its bias is measured?\n\nA cell passes when its accuracy on the held-out profiles the rule decides is at least {}, its answers are not constant and, for a model trained on D_o alone (γ = 0), its hire rate on borderline profiles lies within [{}, {}] (beyond γ = 0 that rate is an outcome of D_a, shown but not gated); a cell that fails did not learn the task and is left out of every finding below.\n",
        crate::task::GATE_ACCURACY,
        crate::task::GATE_BORDERLINE.0,
        crate::task::GATE_BORDERLINE.1
    );
    let _ = writeln!(
        md,
        "| bias type | γ | mitigation | passed | accuracy | borderline hire rate |\n|---|---:|---|---:|---:|---:|"
    );
    for r in &f.gate {
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} of {}{} | {:.3} | {:.3} |",
            r.bias_type,
            r.gamma,
            r.mitigation,
            r.passed,
            r.total,
            if r.passed < r.total {
                " (did not learn the task)"
            } else {
                ""
            },
            r.accuracy,
            r.borderline_rate
        );
    }
    md
}

fn inheritance_section(f: &Findings) -> String {
    let mut md = String::new();
    let _ = writeln!(
        md,
        "\n## Inheritance: γ = 0 vs the largest γ without mitigation (`{}`, paired over seeds)\n",
        f.metric
    );
    if f.inheritance.is_empty() {
        let _ = writeln!(
            md,
            "Needs γ = 0 and a larger γ in the grid (and gated cells at both).\n"
        );
        return md;
    }
    let _ = writeln!(
        md,
        "Δ is the mean change over seeds with its 95% interval; p (t) is the paired t-test (– where the seeds gave no variance), p (exact) the sign-flip test over seeds, p (Holm) adjusted over the report's one family of {} tests; MDE is the smallest Δ the t-test detects with power 0.8 at α = 0.05, given the observed seed-to-seed SD: a null result rules out effects of that size, not smaller ones.\n",
        f.family_size
    );
    let _ = writeln!(
        md,
        "| bias type | γ | at γ = 0 | at γ | Δ [95% CI] | seeds | p (t) | p (exact) | p (Holm) | MDE |\n|---|---:|---:|---:|---|---:|---:|---:|---:|---:|"
    );
    for i in &f.inheritance {
        let _ = writeln!(
            md,
            "| {} | {} | {:.3} | {:.3} | {} | {} | {} | {} | {} | {:.3} |",
            i.bias_type,
            i.gamma,
            i.mean_base,
            i.mean_top,
            fmt_ci(i.diff, i.ci_low, i.ci_high),
            i.n,
            // NaN, printed "–", when the seeds gave no variance.
            fmt_p(i.p_value),
            fmt_p(i.sign_flip_p),
            fmt_p(i.p_holm),
            i.mde
        );
    }
    if let Some(i) = f.inheritance.first() {
        let _ = writeln!(md, "\nIntervals: {}.\n", i.ci_method);
    }
    md
}

fn effects_section(f: &Findings) -> String {
    let mut md = String::new();
    let _ = writeln!(
        md,
        "## Mitigations vs none (`{}`; paired over seeds, in the same Holm family)\n",
        f.metric
    );
    if f.effects.is_empty() {
        let _ = writeln!(md, "Not enough seeds for tests.\n");
        return md;
    }
    let _ = writeln!(
        md,
        "Share removed: the part of the inherited change (none at γ minus none at γ = 0) that the mitigation takes away, with a bootstrap interval over seeds. A mitigation flagged degenerate (decided accuracy more than {} below `none`, constant answers, or failed gates) is never named the best; the best is the smallest |`{}`|.\n",
        crate::findings::ACCURACY_GUARD,
        f.metric
    );
    let _ = writeln!(
        md,
        "| bias type | γ | mitigation | none | mitigated | share removed [95% CI] | p (t) | p (exact) | p (Holm) | flag |\n|---|---:|---|---:|---:|---|---:|---:|---:|---|"
    );
    for e in &f.effects {
        let _ = writeln!(
            md,
            "| {} | {} | {} | {:.3} | {:.3} | {} | {} | {} | {} | {} |",
            e.bias_type,
            e.gamma,
            e.mitigation,
            e.mean_none,
            e.mean_mitigated,
            if e.share_removed.is_nan() {
                "–".to_owned()
            } else {
                fmt_ci(e.share_removed, e.share_ci.0, e.share_ci.1)
            },
            // NaN, printed "–", when the seeds gave no variance.
            fmt_p(e.p_value),
            fmt_p(e.sign_flip_p),
            fmt_p(e.p_holm),
            e.degenerate.as_deref().unwrap_or("")
        );
    }
    let _ = writeln!(md);
    md
}

#[cfg(test)]
mod tests {
    use super::*;

    fn effect(none: f64, mitigated: f64) -> Effect {
        Effect {
            bias_type: "contrastive-single-explicit".into(),
            gamma: 0.5,
            mitigation: "token".into(),
            metric: "gap".into(),
            mean_none: none,
            mean_mitigated: mitigated,
            n: 6,
            p_value: 0.2,
            sign_flip_p: 0.25,
            zero_variance: false,
            mde: 1.0,
            p_holm: 0.4,
            share_removed: 0.0,
            share_ci: (0.0, 0.0),
            degenerate: None,
        }
    }

    #[test]
    fn a_best_mitigation_that_made_the_gap_larger_is_not_called_the_smallest() {
        let worse = best_sentence(&effect(1.9, 2.4), "gap");
        assert!(
            worse.contains("no mitigation that kept the task made |`gap`| smaller"),
            "{worse}"
        );
        assert!(worse.contains("`token` (2.400 vs 1.900"), "{worse}");
        let better = best_sentence(&effect(1.9, -0.5), "gap");
        assert!(better.contains("the smallest |`gap`|"), "{better}");
        assert!(!better.contains("no mitigation"), "{better}");
    }
}
