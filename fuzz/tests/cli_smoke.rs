//! A smoke pass of the example binaries fuzzed end to end (`inherit_fuzz::cli`): every
//! binary gets generated and mutated command lines and input files, and must exit 0, 1 or
//! 2 with a message, never panic, abort, hang or print a non-finite number.
//! `INHERIT_FUZZ_CLI_CASES` changes the number of cases (default 60); the long run is
//! `scripts/fuzz_cli.sh N`.

use std::time::Duration;

use inherit_fuzz::cli::{BINARIES, CliOptions, find_bin_dir, run, summary};

#[test]
fn the_binaries_survive_a_smoke_pass_of_mutated_command_lines() {
    let Some(bin_dir) = find_bin_dir() else {
        // `cargo test --workspace` builds the examples before running any test; a test of
        // this crate alone may not have them (a skip outside CI, a failure in CI).
        inherit_core::testing::skip_without_data(
            std::path::Path::new("target/debug/examples (cargo build --examples)"),
            "the example binaries",
        );
        return;
    };
    let cases = std::env::var("INHERIT_FUZZ_CLI_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(60);
    let report = run(&CliOptions {
        cases,
        seed: 0,
        bin_dir,
        timeout: Duration::from_secs(120),
        progress: 0,
    });
    eprint!("{}", summary(&report));
    assert_eq!(report.cases, cases);
    assert!(report.failures.is_empty(), "{}", summary(&report));
    for b in BINARIES {
        assert!(
            report
                .outcomes
                .keys()
                .any(|k| k.starts_with(&format!("{b}:"))),
            "{b} never ran: {}",
            summary(&report)
        );
    }
}
