//! `study`: a bias-inheritance study end to end, in one command (a thin front end over
//! `inherit-study`).
//!
//! ```sh
//! cargo run --release --example study                  # the embedded default config
//! cargo run --release --example study -- --quick --out runs/q
//! cargo run --release --example study -- --print-config > my.toml
//! cargo run --release --example study -- --config my.toml
//! cargo run --release --example study -- plan --config my.toml --out DIR  # then
//! # `generate --out DIR`, `run --shard I/N --out DIR` (each I), `report --out DIR`
//! ```
//!
//! Options are accepted before or after the stage. Logs go to stderr at the level of
//! `RUST_LOG` (default `info`); stdout holds only the finding.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

#[path = "common/mod.rs"]
mod common;
#[path = "common/progress.rs"]
mod progress;

use clap::{Parser, Subcommand};
use common::Usage;
use inherit::study::config::{DEFAULT_TOML, QUICK_TOML};
use inherit::study::{Shard, Study, StudyConfig};

/// Measure how an LLM's social bias travels through augmented data into a downstream
/// model, and what mitigations do about it (Li et al., ACL 2026).
#[derive(Parser, Debug)]
#[command(name = "study", version, after_help = common::ENV_HELP)]
struct Args {
    /// Read the configuration from FILE (TOML; see --print-config).
    #[arg(long, value_name = "FILE", conflicts_with = "quick", global = true)]
    config: Option<PathBuf>,
    /// Run the small smoke-test grid (configs/quick.toml).
    #[arg(long, global = true)]
    quick: bool,
    /// Write results to DIR (overrides `out` in the configuration).
    #[arg(long, value_name = "DIR", global = true)]
    out: Option<PathBuf>,
    /// Read SmolLM2 (the generator and the fine-tuned downstream model) from this GGUF
    /// file instead of the pip-fetched SmolLM2-135M-Instruct (overrides `gguf` in the
    /// configuration).
    #[arg(long, value_name = "FILE", global = true)]
    gguf: Option<PathBuf>,
    /// Recompute cells whose stored result came from another configuration (default:
    /// stop and name what changed).
    #[arg(long, global = true)]
    recompute: bool,
    /// Cells trained at once, each on its own thread with its own model (default: the
    /// number of cores); the results do not depend on it.
    #[arg(long, value_name = "N", global = true)]
    jobs: Option<usize>,
    /// Without a terminal on stderr (Slurm, nohup): print where the stage stands every
    /// SECS seconds.
    #[arg(long, value_name = "SECS", default_value_t = 30, global = true,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    progress_interval: u64,
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

/// The configuration the arguments name, checked (device included) before anything is
/// written.
fn config(args: &Args) -> Result<inherit::study::ValidStudyConfig, Usage> {
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
    let mut config = config.map_err(|e| Usage(e.to_string()))?;
    if let Some(out) = &args.out {
        config = config.with_out(out.clone());
    }
    if let Some(gguf) = &args.gguf {
        if !gguf.is_file() {
            return Err(Usage(format!("--gguf {}: no such file", gguf.display())));
        }
        config = config.with_gguf(gguf.clone());
    }
    check_device(&config.device)?;
    Ok(config)
}

/// `device` must parse and this binary must hold its backend; the error names the cargo
/// feature of this package to build with.
fn check_device(spec: &str) -> Result<(), Usage> {
    let parsed: inherit::train::DeviceSpec = spec
        .parse()
        .map_err(|e| Usage(format!("device `{spec}`: {e}")))?;
    if parsed.device().is_err() {
        let feature = if spec.starts_with("tch") {
            "tch"
        } else {
            "cuda"
        };
        return Err(Usage(format!(
            "device `{spec}`: this binary was built without the `{feature}` feature; rebuild \
             it with `cargo run --release --features {feature} --example study -- ...` \
             (or set device = \"flex\")"
        )));
    }
    Ok(())
}

fn main() -> ExitCode {
    let args = Args::parse();
    if args.print_config {
        print!("{}", if args.quick { QUICK_TOML } else { DEFAULT_TOML });
        return ExitCode::SUCCESS;
    }
    let reporter = progress::Reporter::new(Duration::from_secs(args.progress_interval));
    common::init_logging(reporter.log_writer());
    let config = match config(&args) {
        Ok(c) => c,
        Err(e) => return common::fail(&e),
    };
    let r = Arc::clone(&reporter);
    let mut study = Study::new(config)
        .recompute_changed(args.recompute)
        .command_line(std::env::args().collect())
        .on_progress(move |p| r.handle(p));
    if let Some(jobs) = args.jobs {
        study = study.jobs(jobs);
    }
    let outcome = match args.stage {
        None => study.run().map(Some),
        Some(Stage::Plan) => study.plan().map(|n| {
            tracing::info!("planned {n} cells");
            None
        }),
        Some(Stage::Generate) => study.generate().map(|()| None),
        Some(Stage::Run { shard }) => study.run_shard(shard).map(|t| {
            tracing::info!(
                "shard {shard}: {} cells run, {} found finished",
                t.cells_run,
                t.cells_skipped
            );
            None
        }),
        Some(Stage::Report) => study.report().map(Some),
    };
    reporter.finish();
    match outcome {
        Ok(Some(o)) => {
            tracing::info!(
                "done in {}; outputs in {}",
                progress::fmt_duration(o.timings.total_s),
                o.out.display()
            );
            println!("{}", o.finding);
            ExitCode::SUCCESS
        }
        Ok(None) => ExitCode::SUCCESS,
        Err(e) => common::fail(&e),
    }
}
