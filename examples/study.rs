//! `study`: a bias-inheritance study end to end, in one command (a thin front end over
//! `inherit-study`).
//!
//! ```sh
//! cargo run --release --example study                  # the embedded default config
//! cargo run --release --example study -- --quick --out runs/q
//! cargo run --release --example study -- --print-config > my.toml
//! cargo run --release --example study -- --config my.toml
//! ```

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Mutex;

use clap::Parser;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use inherit::study::config::{DEFAULT_TOML, QUICK_TOML};
use inherit::study::{Progress, Study, StudyConfig};

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
    /// Print the default configuration (or the quick one with --quick) and exit.
    #[arg(long)]
    print_config: bool,
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
                    ProgressStyle::with_template("cells {bar:30} {pos}/{len} [{elapsed} < {eta}] {msg}")
                        .unwrap_or_else(|_| ProgressStyle::default_bar()),
                );
                b.set_position(*finished as u64);
                *bar = Some(b);
            }
            Progress::Cell {
                done,
                record,
                seconds,
                ..
            } => {
                if let Some(b) = bar.as_ref() {
                    b.set_position(*done as u64);
                    b.set_message(format!(
                        "{} γ={} {} seed={} ({seconds:.1} s)",
                        record.bias_type, record.gamma, record.mitigation, record.seed
                    ));
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
    let config = match &args.config {
        Some(path) => StudyConfig::load(path),
        None if args.quick => StudyConfig::parse(QUICK_TOML, "configs/quick.toml (embedded)"),
        None => StudyConfig::parse(DEFAULT_TOML, "configs/default.toml (embedded)"),
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
    let study = Study::new(config)
        .recompute_changed(args.recompute)
        .on_progress(progress_printer());
    match study.run() {
        Ok(outcome) => {
            eprintln!(
                "done in {:.1} s; outputs in {}",
                outcome.timings.total_s,
                outcome.out.display()
            );
            println!("{}", outcome.finding);
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            let mut source = std::error::Error::source(&e);
            while let Some(s) = source {
                eprintln!("  caused by: {s}");
                source = s.source();
            }
            ExitCode::FAILURE
        }
    }
}
