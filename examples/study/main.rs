//! `study`: a bias-inheritance study end to end, in one command.
//!
//! ```sh
//! cargo run --release --example study                  # the embedded default config
//! cargo run --release --example study -- --quick --out runs/q
//! cargo run --release --example study -- --print-config > my.toml
//! cargo run --release --example study -- --config my.toml
//! ```
//!
//! 1. ensures the models (SmolLM2-135M-Instruct as the augmenting LLM, all-MiniLM-L6-v2 for
//!    the distribution analysis), fetched once and cached;
//! 2. builds D_o and the balanced test set from the built-in occupation suite;
//! 3. measures the generator's own gender imbalance under neutral prompts (group data
//!    misalignment);
//! 4. generates D_a for each configured bias type (cached, resumable) and measures the
//!    original-vs-augmented embedding shift (data distribution misalignment);
//! 5. trains and evaluates the downstream classifier for every cell (bias type x γ x
//!    mitigation x seed), appending to `results.jsonl` (a rerun skips finished cells);
//! 6. writes `report.md`, `results.csv`, plots (SVG + PNG) and `manifest.json`.

mod cells;
mod config;
mod generate;
mod models;
mod report;
mod run;

use std::path::PathBuf;
use std::process::ExitCode;

use config::{DEFAULT_TOML, QUICK_TOML, StudyConfig};

const HELP: &str = "\
study: measure how an LLM's social bias travels through augmented data into a downstream
classifier, and what mitigations do about it (Li et al., ACL 2026).

USAGE:
    cargo run --release --example study -- [OPTIONS]

OPTIONS:
    --config FILE      read the configuration from FILE (TOML; see --print-config)
    --quick            run the small smoke-test grid (configs/quick.toml)
    --out DIR          write results to DIR (overrides `out` in the config)
    --print-config     print the default configuration and exit
    -h, --help         print this help

ENVIRONMENT:
    INHERIT_CACHE      model cache directory (default ~/.cache/inherit)
    INHERIT_DATA_DIR   not needed by this study (the occupation suite is built in)
";

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let mut config_path: Option<PathBuf> = None;
    let mut quick = false;
    let mut out: Option<PathBuf> = None;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "-h" | "--help" => {
                print!("{HELP}");
                return ExitCode::SUCCESS;
            }
            "--print-config" => {
                print!("{DEFAULT_TOML}");
                return ExitCode::SUCCESS;
            }
            "--quick" => quick = true,
            "--config" | "--out" => {
                let Some(value) = args.next() else {
                    eprintln!("error: {arg} needs a value\n\n{HELP}");
                    return ExitCode::from(2);
                };
                if arg == "--config" {
                    config_path = Some(PathBuf::from(value));
                } else {
                    out = Some(PathBuf::from(value));
                }
            }
            other => {
                eprintln!("error: unknown option `{other}`\n\n{HELP}");
                return ExitCode::from(2);
            }
        }
    }
    if quick && config_path.is_some() {
        eprintln!("error: --quick and --config are exclusive (quick is a config of its own)");
        return ExitCode::from(2);
    }
    let config = match &config_path {
        Some(path) => StudyConfig::load(path),
        None if quick => StudyConfig::parse(QUICK_TOML, "configs/quick.toml (embedded)"),
        None => StudyConfig::parse(DEFAULT_TOML, "configs/default.toml (embedded)"),
    };
    let mut config = match config {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    if let Some(out) = out {
        config.out = out;
    }
    match run::run(&config, true) {
        Ok(summary) => {
            println!("{summary}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            let mut source = e.source();
            while let Some(s) = source {
                eprintln!("  caused by: {s}");
                source = s.source();
            }
            ExitCode::FAILURE
        }
    }
}
