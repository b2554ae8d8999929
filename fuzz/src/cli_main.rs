//! `inherit-fuzz-cli N [SEED]`: runs N cases of the example binaries fuzzed end to end
//! (`inherit_fuzz::cli`), prints the outcomes and the failures, and exits 1 if any case
//! broke the property. Environment: `INHERIT_EXAMPLES_DIR` (the built examples),
//! `FUZZ_PROGRESS` (a line every K cases), `FUZZ_CASE_TIMEOUT` (seconds, default 60).

use std::process::ExitCode;
use std::time::Duration;

use inherit_fuzz::cli::{CliOptions, find_bin_dir, run, summary};

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let cases: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(1000);
    let seed: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(0);
    let Some(bin_dir) = find_bin_dir() else {
        eprintln!("error: the example binaries are not built (cargo build --examples)");
        return ExitCode::from(2);
    };
    let env_u64 = |name: &str, default: u64| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let opts = CliOptions {
        cases,
        seed,
        bin_dir,
        timeout: Duration::from_secs(env_u64("FUZZ_CASE_TIMEOUT", 60)),
        progress: env_u64("FUZZ_PROGRESS", 0),
    };
    let report = run(&opts);
    print!("{}", summary(&report));
    if report.failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
