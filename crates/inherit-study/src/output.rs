//! The top of a run's output folder: the combined `results.csv` (every task and round,
//! one tidy row per cell and metric, with the confidence level as a column) and the
//! run facts of `manifest.json` (git commit, command line, host, the history of runs
//! with their timings, and the configuration's floats as written).
//!
//! The layout of a run is listed in `docs/output-tree.txt` (README and
//! `docs/reproduction.md` show it; the root package's `tests/output_tree.rs` checks it
//! against a fresh run): the top holds `results.csv`, `report.md`, `manifest.json` and
//! `study.toml`, then one folder per task (the folder itself for a single task) with its
//! `results.jsonl`, `results.csv`, `report.md`, `manifest.json`, `plan.jsonl`,
//! `analysis.json`, `augmented/`, `cache/`, `plots/`, and, when used, `cells/KEY/` and
//! `rounds/KEY/`.

use std::path::Path;

use inherit_core::io::AtomicFile;
use inherit_eval::report::{ResultRecord, aggregate};
use serde::Serialize;

use crate::error::Result;
use crate::runner::Timings;

/// The confidence level of the intervals in `results.csv`.
pub const CONFIDENCE: f64 = 0.95;

/// The git commit this library was built from (empty when not built from a checkout).
pub const GIT_COMMIT: &str = env!("INHERIT_GIT_COMMIT");

/// One row of the combined `results.csv`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TidyRow {
    /// Task.
    pub task: String,
    /// Bias type (`self-augmentation` for rounds).
    pub bias_type: String,
    /// γ.
    pub gamma: f64,
    /// Mitigation.
    pub mitigation: String,
    /// Downstream model.
    pub model: String,
    /// Self-augmentation round (0 for grid cells).
    pub round: u32,
    /// Metric.
    pub metric: String,
    /// Seeds with a finite value.
    pub n: usize,
    /// Mean over those seeds.
    pub mean: f64,
    /// Sample standard deviation (empty for one seed).
    pub std: f64,
    /// Lower bound of the t interval.
    pub low: f64,
    /// Upper bound of the t interval.
    pub high: f64,
    /// Confidence level of the interval.
    pub confidence: f64,
}

/// The tidy rows of `records`: grouped by task, bias type, γ, mitigation, model and
/// round, summarised over seeds per metric.
pub fn tidy_rows(records: &[ResultRecord], confidence: f64) -> Result<Vec<TidyRow>> {
    let mut rounds: Vec<u32> = records.iter().map(|r| r.round).collect();
    rounds.sort_unstable();
    rounds.dedup();
    let mut rows = Vec::new();
    for round in rounds {
        let these: Vec<ResultRecord> = records
            .iter()
            .filter(|r| r.round == round)
            .cloned()
            .collect();
        for a in aggregate(&these, confidence)? {
            rows.push(TidyRow {
                task: a.task,
                bias_type: a.bias_type,
                gamma: a.gamma,
                mitigation: a.mitigation,
                model: a.model,
                round,
                metric: a.metric,
                n: a.n,
                mean: a.mean,
                std: a.std,
                low: a.low,
                high: a.high,
                confidence,
            });
        }
    }
    rows.sort_by(|a, b| {
        (&a.task, &a.bias_type, a.round, &a.mitigation, &a.metric)
            .cmp(&(&b.task, &b.bias_type, b.round, &b.mitigation, &b.metric))
            .then(a.gamma.total_cmp(&b.gamma))
    });
    Ok(rows)
}

/// Writes `OUT/results.csv` of `records` (every task and round), atomically; undefined
/// values (one seed's interval) are empty fields.
pub fn write_results_csv(out: &Path, records: &[ResultRecord]) -> Result<()> {
    let rows = tidy_rows(records, CONFIDENCE)?;
    let path = out.join("results.csv");
    let mut file = AtomicFile::create(&path)?;
    {
        let mut w = csv::Writer::from_writer(file.writer());
        let err = |e: csv::Error| inherit_core::Error::io(&path, std::io::Error::other(e));
        w.write_record([
            "task",
            "bias_type",
            "gamma",
            "mitigation",
            "model",
            "round",
            "metric",
            "n",
            "mean",
            "std",
            "low",
            "high",
            "confidence",
        ])
        .map_err(err)?;
        let num = |v: f64| {
            if v.is_finite() {
                format!("{v}")
            } else {
                String::new()
            }
        };
        for r in &rows {
            w.write_record([
                r.task.clone(),
                r.bias_type.clone(),
                format!("{}", r.gamma),
                r.mitigation.clone(),
                r.model.clone(),
                r.round.to_string(),
                r.metric.clone(),
                r.n.to_string(),
                num(r.mean),
                num(r.std),
                num(r.low),
                num(r.high),
                format!("{}", r.confidence),
            ])
            .map_err(err)?;
        }
        w.flush().map_err(|e| inherit_core::Error::io(&path, e))?;
    }
    file.commit()?;
    Ok(())
}

/// Writes `DIR/training-loss.csv` (`step,epoch,loss`: every optimizer step of a
/// fine-tuning run), creating `DIR`; nothing when the run kept no steps.
pub fn write_training_loss(dir: &Path, report: &inherit_train::TrainReport) -> Result<()> {
    if report.step_losses.is_empty() {
        return Ok(());
    }
    std::fs::create_dir_all(dir).map_err(|e| crate::Error::io(dir, e))?;
    // Epoch boundaries from the per-epoch step counts.
    let mut csv = String::from("step,epoch,loss\n");
    let mut epoch = report.epochs.iter().peekable();
    for (i, loss) in report.step_losses.iter().enumerate() {
        let step = i + 1;
        while epoch.peek().is_some_and(|e| e.steps < step) {
            epoch.next();
        }
        let e = epoch.peek().map_or(0, |e| e.epoch);
        csv.push_str(&format!("{step},{e},{loss}\n"));
    }
    inherit_core::io::write_atomic(dir.join("training-loss.csv"), csv.as_bytes())?;
    Ok(())
}

/// What the manifest records about the process that wrote it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunInfo {
    /// The command line (empty when the study runs from library code).
    pub command_line: Vec<String>,
}

/// The host: name, OS, architecture and cores.
fn host() -> serde_json::Value {
    let name = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|s| s.trim().to_owned())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .unwrap_or_default();
    serde_json::json!({
        "name": name,
        "os": std::env::consts::OS,
        "arch": std::env::consts::ARCH,
        "cores": std::thread::available_parallelism().map_or(1, usize::from),
    })
}

/// `2026-12-07T18:05:00Z` of seconds since the Unix epoch (UTC).
pub fn utc_timestamp(unix_s: u64) -> String {
    let (days, rem) = ((unix_s / 86_400) as i64, unix_s % 86_400);
    // Civil date from days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

/// Every float of `v` that is an `f32` widened to `f64` (`0.800000011920929`) written as
/// the `f32` reads (`0.8`), as the configuration file has it.
pub fn narrow_f32_floats(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Number(n) if n.is_f64() => {
            if let Some(x) = n.as_f64() {
                let narrow = x as f32;
                if f64::from(narrow) == x
                    && let Ok(shorter) = narrow.to_string().parse::<f64>()
                    && shorter != x
                    && let Some(num) = serde_json::Number::from_f64(shorter)
                {
                    *n = num;
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(narrow_f32_floats),
        serde_json::Value::Object(map) => map.values_mut().for_each(narrow_f32_floats),
        _ => {}
    }
}

/// The history of runs of the manifest in `out` (empty when there is none); read it
/// before the report replaces the manifest, and hand it to [`finish_manifest`].
pub fn previous_runs(out: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(out.join("manifest.json"))
        .ok()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        .and_then(|m| m.get("runs").and_then(|r| r.as_array().cloned()))
        .unwrap_or_default()
}

/// Adds the run facts to `OUT/manifest.json` (written just before by the report): the
/// git commit, the command line, the host, and this run appended to `runs` (the history
/// from [`previous_runs`]) with its timings; the configuration's floats as written.
pub fn finish_manifest(
    out: &Path,
    info: &RunInfo,
    timings: &Timings,
    mut runs: Vec<serde_json::Value>,
) -> Result<()> {
    let path = out.join("manifest.json");
    let text = std::fs::read_to_string(&path).map_err(|e| crate::Error::io(&path, e))?;
    let mut manifest: serde_json::Value = serde_json::from_str(&text)?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let commit = (!GIT_COMMIT.is_empty()).then_some(GIT_COMMIT);
    runs.push(serde_json::json!({
        "finished": utc_timestamp(now),
        "command_line": info.command_line,
        "git_commit": commit,
        "host": host(),
        "timings": timings,
    }));
    if let Some(m) = manifest.as_object_mut() {
        m.insert("git_commit".into(), serde_json::json!(commit));
        m.insert("command_line".into(), serde_json::json!(info.command_line));
        m.insert("host".into(), host());
        m.insert("runs".into(), serde_json::Value::Array(runs));
        if let Some(config) = m.get_mut("config") {
            narrow_f32_floats(config);
        }
    }
    inherit_core::io::write_atomic(&path, serde_json::to_string_pretty(&manifest)?.as_bytes())?;
    Ok(())
}

/// The top of a finished study: `results.csv` of every record (tasks and rounds) and the
/// run facts in `manifest.json` (see [`finish_manifest`]).
pub fn finish(
    outcome: &crate::StudyOutcome,
    info: &RunInfo,
    history: Vec<serde_json::Value>,
) -> Result<()> {
    write_results_csv(&outcome.out, &outcome.records)?;
    finish_manifest(&outcome.out, info, &outcome.timings, history)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn f32_config_floats_read_as_written() {
        let mut v = serde_json::json!({
            "temperature": f64::from(0.8f32),
            "top_p": f64::from(0.95f32),
            "gammas": [0.0, 0.2, 0.5],
            "lr": 0.005,
            "n": 3,
        });
        narrow_f32_floats(&mut v);
        assert_eq!(
            serde_json::to_string(&v).expect("json"),
            r#"{"gammas":[0.0,0.2,0.5],"lr":0.005,"n":3,"temperature":0.8,"top_p":0.95}"#
        );
    }

    #[test]
    fn timestamps_are_utc_dates() {
        assert_eq!(utc_timestamp(0), "1970-01-01T00:00:00Z");
        assert_eq!(utc_timestamp(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(utc_timestamp(1_796_666_700), "2026-12-07T18:05:00Z");
    }
}
