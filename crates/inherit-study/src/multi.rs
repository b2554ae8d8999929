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
            let mut sub = Study::new(config).recompute_changed(study.recompute_changed);
            sub.progress = study.progress.clone();
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

/// `study.toml` of the whole configuration.
fn write_config(study: &Study) -> Result<()> {
    let out = &study.config.out;
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
    write_config(&study)?;
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
    Ok(total)
}

/// The generation stage of every task.
pub fn generate(study: Study) -> Result<()> {
    write_config(&study)?;
    let subs = per_task(&study)?;
    let n = subs.len();
    for (i, (name, sub)) in subs.into_iter().enumerate() {
        announce(&study, &name, i, n);
        sub.generate()?;
    }
    Ok(())
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
    write_config(&study)?;
    let subs = per_task(&study)?;
    let n = subs.len();
    let mut outcomes = Vec::new();
    for (i, (name, sub)) in subs.into_iter().enumerate() {
        announce(&study, &name, i, n);
        outcomes.push((name, sub.run()?));
    }
    summarise(&study.config.out, outcomes)
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
    summarise(&study.config.out, outcomes)
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
    for (name, o) in &outcomes {
        let path = o.out.join("report.md");
        let body = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
        let _ = writeln!(md, "\n## Task `{name}`\n");
        for line in body.lines() {
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
