//! The CI smoke pass of the fuzz targets: every target for a few hundred inputs (its
//! seeds first), no panic, no input over its memory budget. The long campaign is
//! `scripts/fuzz.sh N`. Also checks the driver itself: a panicking target and a greedy
//! one are caught and reported.

use inherit_fuzz::{Case, Options, Target, Verdict, alloc, run, targets};

/// Inputs per target in the smoke pass (`INHERIT_FUZZ_SMOKE_INPUTS` overrides).
fn smoke_inputs() -> u64 {
    std::env::var("INHERIT_FUZZ_SMOKE_INPUTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300)
}

/// One test for everything: the driver's counters are process-wide, so targets run one
/// after another.
#[test]
fn every_target_survives_a_smoke_pass_and_the_driver_catches_what_it_should() {
    alloc::set_limit(4 << 30);
    driver_reports_panics_and_memory();
    let n = smoke_inputs();
    let mut total = 0;
    let mut failures = Vec::new();
    for target in targets::all() {
        let inputs = if target.name == "gguf" { 2 * n } else { n };
        let seeds = (target.seeds)().len();
        let report = run(
            &target,
            &Options {
                inputs,
                seed: 2024,
                ..Options::default()
            },
        );
        eprintln!(
            "{:<20} {:>6} inputs {:>6} accepted ({} seeds) {:>5.1} MiB peak {:?}",
            report.target,
            report.inputs,
            report.accepted,
            seeds,
            report.max_peak as f64 / f64::from(1 << 20),
            report.stages
        );
        total += report.inputs;
        assert_eq!(report.inputs, inputs, "{}: stopped early", target.name);
        assert!(
            report.accepted > 0,
            "{}: no input accepted, not even a seed (missing seed files?)",
            target.name
        );
        for f in report.panics.iter().chain(&report.memory) {
            failures.push(format!(
                "{} input {}: {} ({:?})",
                target.name,
                f.input_no,
                f.message,
                String::from_utf8_lossy(&f.input[..f.input.len().min(200)])
            ));
        }
    }
    assert!(failures.is_empty(), "findings:\n{}", failures.join("\n"));
    eprintln!("smoke pass: {total} inputs, no panic");
}

fn panics_on_bang(case: &Case<'_>) -> Verdict {
    if case.bytes.contains(&b'!') {
        let v: Vec<u8> = Vec::new();
        let _ = v[case.bytes.len()]; // an index out of bounds, as a parser bug would be
    }
    Verdict::Accepted
}

fn greedy(case: &Case<'_>) -> Verdict {
    // Holds 64 MiB at once for any input containing `#`.
    if case.bytes.contains(&b'#') {
        let v = vec![1u8; 64 << 20];
        assert_eq!(v[v.len() - 1], 1);
    }
    Verdict::Rejected
}

fn driver_reports_panics_and_memory() {
    let target = Target {
        name: "self_test_panic",
        about: "panics on `!`",
        seeds: || vec![b"hello".to_vec()],
        dict: &[b"!"],
        max_len: 64,
        structured: None,
        run: panics_on_bang,
    };
    let report = run(
        &target,
        &Options {
            inputs: 2000,
            max_findings: 3,
            ..Options::default()
        },
    );
    assert_eq!(report.panics.len(), 3, "{report:?}");
    for f in &report.panics {
        assert!(f.input.contains(&b'!'), "{f:?}");
        assert!(
            f.message.contains("index out of bounds") && f.message.contains("fuzz_smoke.rs"),
            "{}",
            f.message
        );
    }
    let target = Target {
        name: "self_test_memory",
        about: "holds 64 MiB on `#`",
        seeds: || vec![b"hello".to_vec()],
        dict: &[b"#"],
        max_len: 64,
        structured: None,
        run: greedy,
    };
    let report = run(
        &target,
        &Options {
            inputs: 2000,
            max_findings: 2,
            memory_fixed: 16 << 20,
            memory_per_byte: 1024,
            ..Options::default()
        },
    );
    assert_eq!(report.memory.len(), 2, "{report:?}");
    assert!(report.memory.iter().all(|f| f.input.contains(&b'#')));
    assert!(report.max_peak >= 64 << 20, "{}", report.max_peak);
}
