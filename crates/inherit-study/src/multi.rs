//! Studies of several tasks: one single-task study per task
//! ([`crate::config::ValidStudyConfig::per_task`]), each in `out/<task name>/` with its
//! own plan, generation, results and report, sharing the grid (bias types, γ,
//! mitigations, seeds), the generator and the embedder settings; each task may change
//! the downstream model (`[[tasks]] downstream = { ... }`). Every stage runs the tasks
//! in order. The folder itself holds `study.toml` (the whole configuration), `plan.jsonl`
//! (every task's cells), and, after the report stage, `report.md` (a summary table, then
//! each task's report as a section) and `manifest.json` (the tasks, their folders and
//! timings).
//!
//! The builder's replacements ([`Study::task`], [`Study::generator`], ...) apply to one
//! task: with several tasks they are an error.

use std::fmt::Write as _;
use std::path::Path;

use inherit_eval::report::ResultRecord;

use crate::error::{Error, Result};
use crate::runner::{Progress, Study, StudyOutcome, Timings};
use crate::shard::Shard;

/// One study per task, with the caller's progress callback and resume policy.
fn per_task(study: &Study) -> Result<Vec<(String, Study)>> {
    if study.has_overrides() {
        return Err(Error::Unsupported(
            "a study of several tasks takes its models from the configuration; replace \
             models or the task with a single-task configuration"
                .into(),
        ));
    }
    Ok(study
        .config
        .per_task()
        .into_iter()
        .map(|config| {
            let name = config.task().name().to_owned();
            let mut sub = Study::new(config)
                .recompute_changed(study.recompute_changed)
                .jobs(study.jobs);
            sub.progress = study.progress.clone();
            sub.run_info = study.run_info.clone();
            (name, sub)
        })
        .collect())
}

fn announce(study: &Study, name: &str, i: usize, n: usize) {
    study.notify(Progress::Stage {
        stage: "task",
        detail: format!("task {} of {n}: `{name}`", i + 1),
    });
}

/// `study.toml` of the whole configuration. With `only_if_missing`, an existing file is
/// left alone: a stage writes the file before its tasks run only where there is none yet
/// (so that later stages find it), and replaces it only after every task accepted the
/// configuration, so a run refused for a changed configuration leaves it as it was.
fn write_config(study: &Study, only_if_missing: bool) -> Result<()> {
    let out = &study.config.out;
    if only_if_missing && out.join("study.toml").exists() {
        return Ok(());
    }
    std::fs::create_dir_all(out).map_err(|e| Error::io(out, e))?;
    let toml = toml::to_string(&*study.config).map_err(|e| Error::Toml {
        origin: "study.toml".into(),
        message: e.to_string(),
    })?;
    inherit_core::io::write_atomic(out.join("study.toml"), toml.as_bytes())?;
    Ok(())
}

/// The plan stage of every task, and `plan.jsonl` of all their cells.
pub fn plan(study: Study) -> Result<usize> {
    write_config(&study, true)?;
    let subs = per_task(&study)?;
    let n = subs.len();
    let mut total = 0;
    let mut lines = String::new();
    for (i, (name, sub)) in subs.into_iter().enumerate() {
        announce(&study, &name, i, n);
        let out = sub.config.out.clone();
        total += sub.plan()?;
        let path = out.join("plan.jsonl");
        lines.push_str(&std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?);
    }
    inherit_core::io::write_atomic(study.config.out.join("plan.jsonl"), lines.as_bytes())?;
    write_config(&study, false)?;
    Ok(total)
}

/// The generation stage of every task.
pub fn generate(study: Study) -> Result<()> {
    write_config(&study, true)?;
    let subs = per_task(&study)?;
    let n = subs.len();
    for (i, (name, sub)) in subs.into_iter().enumerate() {
        announce(&study, &name, i, n);
        sub.generate()?;
    }
    write_config(&study, false)
}

/// Shard `shard` of every task's cells.
pub fn run_shard(study: Study, shard: Shard) -> Result<Timings> {
    let subs = per_task(&study)?;
    let n = subs.len();
    let mut timings = Timings::default();
    for (i, (name, sub)) in subs.into_iter().enumerate() {
        announce(&study, &name, i, n);
        add(&mut timings, &sub.run_shard(shard)?);
    }
    Ok(timings)
}

/// Every stage of every task in this process, then the summary.
pub fn run(study: Study) -> Result<StudyOutcome> {
    write_config(&study, true)?;
    let subs = per_task(&study)?;
    let n = subs.len();
    let mut outcomes = Vec::new();
    for (i, (name, sub)) in subs.into_iter().enumerate() {
        announce(&study, &name, i, n);
        outcomes.push((name, sub.run()?));
    }
    write_config(&study, false)?;
    let history = crate::output::previous_runs(&study.config.out);
    let outcome = summarise(&study.config.out, outcomes)?;
    crate::output::finish(&outcome, &study.run_info, history)?;
    Ok(outcome)
}

/// The report stage of every task, then the summary.
pub fn report(study: Study) -> Result<StudyOutcome> {
    let subs = per_task(&study)?;
    let n = subs.len();
    let mut outcomes = Vec::new();
    for (i, (name, sub)) in subs.into_iter().enumerate() {
        announce(&study, &name, i, n);
        outcomes.push((name, sub.report()?));
    }
    let history = crate::output::previous_runs(&study.config.out);
    let outcome = summarise(&study.config.out, outcomes)?;
    crate::output::finish(&outcome, &study.run_info, history)?;
    Ok(outcome)
}

fn add(total: &mut Timings, t: &Timings) {
    total.models_s += t.models_s;
    total.imbalance_s += t.imbalance_s;
    total.augment_s += t.augment_s;
    total.shift_s += t.shift_s;
    total.cells_s += t.cells_s;
    total.cells_run += t.cells_run;
    total.cells_skipped += t.cells_skipped;
    total.report_s += t.report_s;
    total.total_s += t.total_s;
}

/// The "Direct vs indirect" section of the summary, when the records hold both a
/// `toxicity` task (directly related to bias) and a `sentiment` task (indirectly related):
/// per bias type and γ, each task's macro-F1 (mean over seeds, mitigation `none`) and its
/// change from γ = 0 of the same bias type, and the toxicity task's `fpr_gap`. `None`
/// without both tasks.
pub fn direct_indirect_table(records: &[&ResultRecord]) -> Option<String> {
    use std::collections::BTreeMap;
    let mean = |task: &str, bias: &str, gamma: f64, metric: &str| -> Option<f64> {
        let v: Vec<f64> = records
            .iter()
            .filter(|r| {
                r.task == task && r.bias_type == bias && r.gamma == gamma && r.mitigation == "none"
            })
            .filter_map(|r| r.metrics.get(metric).copied())
            .filter(|v| !v.is_nan())
            .collect();
        (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
    };
    let has = |task: &str| {
        records
            .iter()
            .any(|r| r.task == task && r.mitigation == "none")
    };
    if !has("toxicity") || !has("sentiment") {
        return None;
    }
    // (bias type, γ) in order; γ as bits so it can key a map (γ is never NaN or -0).
    let mut cells: BTreeMap<(String, u64), f64> = BTreeMap::new();
    for r in records.iter().filter(|r| r.mitigation == "none") {
        cells.insert((r.bias_type.clone(), r.gamma.to_bits()), r.gamma);
    }
    let fmt = |v: Option<f64>| v.map_or("–".to_owned(), |v| format!("{v:.3}"));
    let delta = |v: Option<f64>, base: Option<f64>| match (v, base) {
        (Some(v), Some(b)) => format!("{:+.3}", v - b),
        _ => "–".to_owned(),
    };
    let mut md = String::from(
        "## Direct vs indirect\n\nMacro-F1 of the task directly related to bias (`toxicity`, \
         identity madlibs) and of the indirectly related one (`sentiment`, SST-2), mean over \
         seeds, mitigation `none`; Δ: change from γ = 0 of the same bias type. The paper \
         expects the direct task to lose more as γ grows; its `fpr_gap` (false toxic flags, \
         first group minus second) shows the bias it inherits.\n\n\
         | bias type | γ | toxicity macro-F1 | Δ | sentiment macro-F1 | Δ | toxicity fpr_gap |\n\
         |---|---|---|---|---|---|---|\n",
    );
    for ((bias, _), gamma) in &cells {
        let tox = mean("toxicity", bias, *gamma, "macro_f1");
        let sen = mean("sentiment", bias, *gamma, "macro_f1");
        let _ = writeln!(
            md,
            "| {bias} | {gamma} | {} | {} | {} | {} | {} |",
            fmt(tox),
            delta(tox, mean("toxicity", bias, 0.0, "macro_f1")),
            fmt(sen),
            delta(sen, mean("sentiment", bias, 0.0, "macro_f1")),
            fmt(mean("toxicity", bias, *gamma, "fpr_gap")),
        );
    }
    Some(md)
}

/// `report.md` and `manifest.json` of the whole study.
fn summarise(out: &Path, outcomes: Vec<(String, StudyOutcome)>) -> Result<StudyOutcome> {
    let mut md = format!(
        "# Bias inheritance study: {} tasks\n\n| task | folder | cells | finding |\n|---|---|---|---|\n",
        outcomes.len()
    );
    for (name, o) in &outcomes {
        let _ = writeln!(
            md,
            "| {name} | [{name}/]({name}/report.md) | {} | {} |",
            o.records.len(),
            o.finding.replace('\n', " ").replace('|', "\\|")
        );
    }
    let all: Vec<&ResultRecord> = outcomes.iter().flat_map(|(_, o)| &o.records).collect();
    if let Some(table) = direct_indirect_table(&all) {
        md.push('\n');
        md.push_str(&table);
    }
    for (name, o) in &outcomes {
        let path = o.out.join("report.md");
        let body = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
        let _ = writeln!(md, "\n## Task `{name}`\n");
        // The task's own title is replaced by the `## Task` heading above.
        for line in body.lines().filter(|l| !l.starts_with("# ")) {
            // Each task's headings one level down, its links into its folder.
            let line = line
                .replace("](plots/", &format!("]({name}/plots/"))
                .replace("](results.csv", &format!("]({name}/results.csv"));
            if line.starts_with('#') {
                let _ = writeln!(md, "#{line}");
            } else {
                let _ = writeln!(md, "{line}");
            }
        }
    }
    inherit_core::io::write_atomic(out.join("report.md"), md.as_bytes())?;
    let mut timings = Timings::default();
    for (_, o) in &outcomes {
        add(&mut timings, &o.timings);
    }
    let manifest = serde_json::json!({
        "tasks": outcomes.iter().map(|(name, o)| serde_json::json!({
            "name": name,
            "folder": o.out,
            "cells": o.records.len(),
            "timings": o.timings,
        })).collect::<Vec<_>>(),
        "runs": crate::history::runs(&out.join("manifest.json"), &timings),
        "timings": timings,
    });
    inherit_core::io::write_atomic(
        out.join("manifest.json"),
        serde_json::to_string_pretty(&manifest)?.as_bytes(),
    )?;
    Ok(StudyOutcome {
        finding: outcomes
            .iter()
            .map(|(name, o)| format!("{name}: {}", o.finding))
            .collect::<Vec<_>>()
            .join("\n"),
        records: outcomes.into_iter().flat_map(|(_, o)| o.records).collect(),
        out: out.to_owned(),
        timings,
    })
}
