//! Prints the full MetricFrame of a CSV of predictions as JSON.
//!
//! ```text
//! cargo run --release --example fairness_report -- --csv FILE --y-true COL --y-pred COL \
//!     --group COL [--group COL2] [--scores COL] [--pos-label LABEL] [--bootstrap N --seed S]
//! ```
//!
//! Labels may be any strings; they are indexed in numeric order when all are integers,
//! else in sorted order. The positive class (for selection rate, TPR, FPR and the
//! fairness measures) is `--pos-label`, else `1` when present, else the last label.
//! `--scores` (a probability of the positive class) adds ROC AUC.

use std::process::ExitCode;

#[path = "common/mod.rs"]
mod common;

use clap::Parser;
use common::Usage;
use inherit_core::io::{DelimitedOptions, DelimitedReader};
use inherit_eval::{
    Aggregate, BootstrapParams, FairnessReport, Metric, MetricFrame, Sample, SensitiveFeature,
};

/// Print the full MetricFrame (and the fairness measures) of a CSV of predictions as JSON
/// (labels may be any strings: indexed in numeric order when all are integers, else in
/// sorted order).
#[derive(Debug, Parser)]
#[command(name = "fairness_report", version, after_help = common::ENV_HELP)]
struct Args {
    /// The CSV of predictions.
    #[arg(long, value_name = "FILE")]
    csv: String,
    /// Column of the true labels.
    #[arg(long, value_name = "COL")]
    y_true: String,
    /// Column of the predicted labels.
    #[arg(long, value_name = "COL")]
    y_pred: String,
    /// Column of a sensitive feature (repeatable: one frame over all of them).
    #[arg(long = "group", value_name = "COL", required = true)]
    groups: Vec<String>,
    /// Column of the probability of the positive class (adds ROC AUC).
    #[arg(long, value_name = "COL")]
    scores: Option<String>,
    /// The positive class (for selection rate, TPR, FPR and the fairness measures)
    /// [default: `1` when present, else the last label].
    #[arg(long, value_name = "LABEL")]
    pos_label: Option<String>,
    /// Percentile bootstrap confidence intervals from N resamples.
    #[arg(long, value_name = "N")]
    bootstrap: Option<usize>,
    /// Seed of the bootstrap.
    #[arg(long, value_name = "S", default_value_t = 0)]
    seed: u64,
}

fn run(args: &Args) -> Result<serde_json::Value, Box<dyn std::error::Error>> {
    let mut required: Vec<&str> = vec![&args.y_true, &args.y_pred];
    required.extend(args.groups.iter().map(String::as_str));
    required.extend(args.scores.as_deref());
    let mut reader = DelimitedReader::open(&args.csv, DelimitedOptions::default(), &required)?;
    reader.check_unique_header()?;
    let (mut t, mut p, mut s) = (Vec::new(), Vec::new(), Vec::new());
    let mut g: Vec<Vec<String>> = vec![Vec::new(); args.groups.len()];
    for row in reader.rows() {
        let row = row?;
        t.push(row.non_empty(&args.y_true)?.trim().to_owned());
        p.push(row.non_empty(&args.y_pred)?.trim().to_owned());
        for (col, values) in args.groups.iter().zip(g.iter_mut()) {
            values.push(row.get(col)?.trim().to_owned());
        }
        if let Some(col) = &args.scores {
            s.push(row.parse_finite(col)?);
        }
    }
    let mut labels: Vec<String> = t.iter().chain(&p).cloned().collect();
    labels.sort();
    labels.dedup();
    if labels.iter().all(|l| l.parse::<i64>().is_ok()) {
        labels.sort_by_key(|l| l.parse::<i64>().unwrap_or_default());
    }
    let index = |l: &String| labels.iter().position(|x| x == l).unwrap_or_default();
    let y_true: Vec<usize> = t.iter().map(index).collect();
    let y_pred: Vec<usize> = p.iter().map(index).collect();
    let pos_name = match &args.pos_label {
        Some(l) => l.clone(),
        None if labels.iter().any(|l| l == "1") => "1".into(),
        None => labels.last().cloned().ok_or("the CSV has no rows")?,
    };
    let pos = labels.iter().position(|l| *l == pos_name).ok_or_else(|| {
        Usage(format!(
            "--pos-label `{pos_name}` is not among the labels {labels:?}"
        ))
    })?;
    let features: Vec<SensitiveFeature> = args
        .groups
        .iter()
        .zip(g)
        .map(|(name, values)| SensitiveFeature::new(name.as_str(), values))
        .collect();
    let mut metrics = vec![
        Metric::Count,
        Metric::Accuracy,
        Metric::MacroF1,
        Metric::SelectionRate(pos),
        Metric::Tpr(pos),
        Metric::Fpr(pos),
        Metric::Precision(pos),
    ];
    let mut sample = Sample::new(&y_true, &y_pred);
    if args.scores.is_some() {
        sample = sample.with_scores(&s);
        metrics.push(Metric::RocAuc(pos));
    }
    let frame = match args.bootstrap {
        Some(n_boot) => {
            let params = BootstrapParams {
                n_boot,
                seed: args.seed,
                ..Default::default()
            };
            MetricFrame::with_bootstrap(&metrics, sample, &features, &params)?
        }
        None => MetricFrame::new(&metrics, sample, &features)?,
    };
    Ok(serde_json::json!({
        "csv": args.csv,
        "rows": y_true.len(),
        "labels": labels,
        "pos_label": pos_name,
        "frame": frame,
        "fairness": {
            "between_groups": FairnessReport::from_frame(&frame, pos, Aggregate::BetweenGroups)?,
            "to_overall": FairnessReport::from_frame(&frame, pos, Aggregate::ToOverall)?,
        },
    }))
}

fn main() -> ExitCode {
    let args = Args::parse();
    common::init_stderr_logging();
    match run(&args) {
        Ok(json) => {
            println!(
                "{}",
                serde_json::to_string_pretty(&json).unwrap_or_default()
            );
            ExitCode::SUCCESS
        }
        Err(e) => common::fail(e.as_ref()),
    }
}
