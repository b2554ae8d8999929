//! `study`: a bias-inheritance study end to end, in one command (a thin front end over
//! `inherit-study`).
//!
//! ```sh
//! cargo run --release --example study                  # the embedded default config
//! cargo run --release --example study -- --quick --out runs/q
//! cargo run --release --example study -- --print-config > my.toml
//! cargo run --release --example study -- --config my.toml
//! cargo run --release --example study -- --config my.toml --out DIR plan  # then
//! # `--out DIR generate`, `--out DIR run --shard I/N` (each I), `--out DIR report`
//! ```

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Mutex;

use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use inherit::study::config::{DEFAULT_TOML, QUICK_TOML};
use inherit::study::{Progress, Shard, Study, StudyConfig};

/// Measure how an LLM's social bias travels through augmented data into a downstream
/// model, and what mitigations do about it (Li et al., ACL 2026).
///
/// Environment: INHERIT_CACHE (model cache, default ~/.cache/inherit).
#[derive(Parser, Debug)]
#[command(name = "study", version)]
struct Args {
    /// Read the configuration from FILE (TOML; see --print-config).
    #[arg(long, value_name = "FILE", conflicts_with = "quick")]
    config: Option<PathBuf>,
    /// Run the small smoke-test grid (configs/quick.toml).
    #[arg(long)]
    quick: bool,
    /// Write results to DIR (overrides `out` in the configuration).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Recompute cells whose stored result came from another configuration (default:
    /// stop and name what changed).
    #[arg(long)]
    recompute: bool,
    /// Cells trained at once, each on its own thread with its own model (default: the
    /// number of cores); the results do not depend on it.
    #[arg(long, value_name = "N")]
    jobs: Option<usize>,
    /// Print the default configuration (or the quick one with --quick) and exit.
    #[arg(long)]
    print_config: bool,
    /// One stage only (default: all stages in this process). Without --config, a stage
    /// reads the configuration that `plan` wrote to DIR/study.toml.
    #[command(subcommand)]
    stage: Option<Stage>,
}

#[derive(Subcommand, Debug)]
enum Stage {
    /// Write DIR/plan.jsonl (one line per cell with its key) and DIR/study.toml.
    Plan,
    /// Neutral prompts, D_a per bias type and the embedding shift, into DIR.
    Generate,
    /// This shard's cells, into DIR/results.shard-I.jsonl.
    Run {
        /// I/N: shard I (0-based) of N.
        #[arg(long)]
        shard: Shard,
    },
    /// Merge every results file of DIR and write the report.
    Report,
}

/// Draws the cell progress bar and prints stage lines on stderr.
fn progress_printer() -> impl Fn(&Progress<'_>) + Send + Sync + 'static {
    let bar: Mutex<Option<ProgressBar>> = Mutex::new(None);
    move |p| {
        let mut bar = bar.lock().unwrap_or_else(|e| e.into_inner());
        match p {
            Progress::Stage { stage, detail } => match bar.as_ref() {
                Some(b) => b.suspend(|| eprintln!("[{stage}] {detail}")),
                None => eprintln!("[{stage}] {detail}"),
            },
            Progress::Planned { total, finished } => {
                let b = ProgressBar::with_draw_target(
                    Some(*total as u64),
                    ProgressDrawTarget::stderr(),
                );
                b.set_style(
                    ProgressStyle::with_template(
                        "cells {bar:30} {pos}/{len} [{elapsed} < {eta}] {msg}",
                    )
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
                );
                b.set_position(*finished as u64);
                *bar = Some(b);
            }
            Progress::Cell {
                done,
                record: r,
                seconds,
                ..
            } => {
                if let Some(b) = bar.as_ref() {
                    b.set_position(*done as u64);
                    let cell = format!(
                        "{} γ={} {} seed={}",
                        r.bias_type, r.gamma, r.mitigation, r.seed
                    );
                    b.set_message(format!("{cell} ({seconds:.1} s)"));
                }
            }
        }
    }
}

fn main() -> ExitCode {
    let args = Args::parse();
    if args.print_config {
        print!("{}", if args.quick { QUICK_TOML } else { DEFAULT_TOML });
        return ExitCode::SUCCESS;
    }
    let saved = args
        .out
        .as_ref()
        .map(|d| d.join("study.toml"))
        .filter(|p| p.exists());
    let config = match (&args.config, &saved) {
        (Some(path), _) => StudyConfig::load(path),
        (None, _) if args.quick => StudyConfig::parse(QUICK_TOML, "configs/quick.toml (embedded)"),
        (None, Some(path)) if args.stage.is_some() => StudyConfig::load(path),
        _ => StudyConfig::parse(DEFAULT_TOML, "configs/default.toml (embedded)"),
    };
    let mut config = match config {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    if let Some(out) = args.out {
        config = config.with_out(out);
    }
    let mut study = Study::new(config)
        .recompute_changed(args.recompute)
        .on_progress(progress_printer());
    if let Some(jobs) = args.jobs {
        study = study.jobs(jobs);
    }
    let outcome = match args.stage {
        None => study.run().map(Some),
        Some(Stage::Plan) => study.plan().map(|n| {
            eprintln!("planned {n} cells");
            None
        }),
        Some(Stage::Generate) => study.generate().map(|()| None),
        Some(Stage::Run { shard }) => study.run_shard(shard).map(|t| {
            eprintln!(
                "shard {shard}: {} cells run, {} found finished",
                t.cells_run, t.cells_skipped
            );
            None
        }),
        Some(Stage::Report) => study.report().map(Some),
    };
    match outcome {
        Ok(Some(o)) => {
            eprintln!(
                "done in {:.1} s; outputs in {}",
                o.timings.total_s,
                o.out.display()
            );
            println!("{}", o.finding);
            ExitCode::SUCCESS
        }
        Ok(None) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            let mut source = std::error::Error::source(&e);
            while let Some(s) = source.take() {
                eprintln!("  caused by: {s}");
                source = s.source();
            }
            ExitCode::FAILURE
        }
    }
}
