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

use inherit_core::io::{DelimitedOptions, DelimitedReader};
use inherit_eval::{
    Aggregate, BootstrapParams, FairnessReport, Metric, MetricFrame, Sample, SensitiveFeature,
};

struct Args {
    csv: String,
    y_true: String,
    y_pred: String,
    groups: Vec<String>,
    scores: Option<String>,
    pos_label: Option<String>,
    bootstrap: Option<usize>,
    seed: u64,
}

const USAGE: &str = "usage: fairness_report --csv FILE --y-true COL --y-pred COL --group COL [--group COL2] \
                     [--scores COL] [--pos-label LABEL] [--bootstrap N --seed S]";

fn parse_args() -> Result<Args, String> {
    let mut it = std::env::args().skip(1);
    let (mut csv, mut y_true, mut y_pred, mut groups) = (None, None, None, Vec::new());
    let (mut scores, mut pos_label, mut bootstrap, mut seed) = (None, None, None, 0u64);
    while let Some(flag) = it.next() {
        if flag == "--help" || flag == "-h" {
            return Err(USAGE.into());
        }
        let mut value = || {
            it.next()
                .ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))
        };
        match flag.as_str() {
            "--csv" => csv = Some(value()?),
            "--y-true" => y_true = Some(value()?),
            "--y-pred" => y_pred = Some(value()?),
            "--group" => groups.push(value()?),
            "--scores" => scores = Some(value()?),
            "--pos-label" => pos_label = Some(value()?),
            "--bootstrap" => {
                bootstrap = Some(value()?.parse().map_err(|e| format!("--bootstrap: {e}"))?)
            }
            "--seed" => seed = value()?.parse().map_err(|e| format!("--seed: {e}"))?,
            other => return Err(format!("unknown argument `{other}`\n{USAGE}")),
        }
    }
    let need =
        |v: Option<String>, name: &str| v.ok_or_else(|| format!("{name} is required\n{USAGE}"));
    if groups.is_empty() {
        return Err(format!("at least one --group is required\n{USAGE}"));
    }
    Ok(Args {
        csv: need(csv, "--csv")?,
        y_true: need(y_true, "--y-true")?,
        y_pred: need(y_pred, "--y-pred")?,
        groups,
        scores,
        pos_label,
        bootstrap,
        seed,
    })
}

fn run(args: &Args) -> Result<serde_json::Value, Box<dyn std::error::Error>> {
    let mut required: Vec<&str> = vec![&args.y_true, &args.y_pred];
    required.extend(args.groups.iter().map(String::as_str));
    required.extend(args.scores.as_deref());
    let mut reader = DelimitedReader::open(&args.csv, DelimitedOptions::default(), &required)?;
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
            s.push(row.parse::<f64>(col)?);
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
    let pos = labels
        .iter()
        .position(|l| *l == pos_name)
        .ok_or_else(|| format!("--pos-label `{pos_name}` is not among the labels {labels:?}"))?;
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
    let args = match parse_args() {
        Ok(a) => a,
        Err(msg) => {
            eprintln!("{msg}");
            return ExitCode::from(2);
        }
    };
    match run(&args) {
        Ok(json) => {
            println!(
                "{}",
                serde_json::to_string_pretty(&json).unwrap_or_default()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
