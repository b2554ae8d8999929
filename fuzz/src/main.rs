//! `inherit-fuzz`: runs fuzz targets and prints, per target, the inputs tried, the
//! inputs accepted, panics, inputs over their memory budget, the largest memory peak and
//! the slowest input. Exits with 1 when anything was found (the inputs are saved under
//! `--artifacts`).
//!
//! ```text
//! inherit-fuzz [--inputs N] [--seed S] [--artifacts DIR] [--timeout SECS]
//!              [--memory-limit MIB] [--progress K] [--list] [TARGET ...]
//! ```

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use inherit_fuzz::{Options, alloc, targets};

fn usage() -> ! {
    eprintln!(
        "usage: inherit-fuzz [--inputs N] [--seed S] [--artifacts DIR] [--timeout SECS] \
         [--memory-limit MIB] [--progress K] [--list] [TARGET ...]"
    );
    std::process::exit(2)
}

fn main() -> ExitCode {
    let mut options = Options {
        inputs: 10_000,
        progress_every: 0,
        ..Options::default()
    };
    let mut names = Vec::new();
    let mut memory_limit_mib: usize = 4096;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| {
            args.next().unwrap_or_else(|| {
                eprintln!("{name} needs a value");
                usage()
            })
        };
        let number = |s: String| -> u64 {
            s.replace('_', "").parse().unwrap_or_else(|_| {
                eprintln!("not a number: {s}");
                usage()
            })
        };
        match arg.as_str() {
            "--inputs" => options.inputs = number(value("--inputs")),
            "--seed" => options.seed = number(value("--seed")),
            "--artifacts" => options.artifacts = Some(PathBuf::from(value("--artifacts"))),
            "--timeout" => options.timeout = Duration::from_secs(number(value("--timeout"))),
            "--memory-limit" => memory_limit_mib = number(value("--memory-limit")) as usize,
            "--progress" => options.progress_every = number(value("--progress")),
            "--list" => {
                for t in targets::all() {
                    println!("{:<20} {}", t.name, t.about);
                }
                return ExitCode::SUCCESS;
            }
            "-h" | "--help" => usage(),
            name if !name.starts_with('-') => names.push(name.to_owned()),
            _ => usage(),
        }
    }
    alloc::set_limit(memory_limit_mib << 20);
    let selected: Vec<_> = if names.is_empty() {
        targets::all()
    } else {
        names
            .iter()
            .map(|n| {
                targets::by_name(n).unwrap_or_else(|| {
                    eprintln!("unknown target `{n}` (see --list)");
                    std::process::exit(2)
                })
            })
            .collect()
    };
    println!(
        "{:<20} {:>10} {:>10} {:>7} {:>8} {:>10} {:>10} {:>9}",
        "target", "inputs", "accepted", "panics", "over-mem", "peak MiB", "slowest ms", "secs"
    );
    let mut total = 0u64;
    let mut found = 0usize;
    for target in &selected {
        let report = inherit_fuzz::run(target, &options);
        total += report.inputs;
        found += report.panics.len() + report.memory.len();
        println!(
            "{:<20} {:>10} {:>10} {:>7} {:>8} {:>10.1} {:>10} {:>9.1}",
            report.target,
            report.inputs,
            report.accepted,
            report.panics.len(),
            report.memory.len(),
            report.max_peak as f64 / (1 << 20) as f64,
            report.slowest.as_millis(),
            report.elapsed.as_secs_f64()
        );
        if !report.stages.is_empty() {
            let stages: Vec<String> = report
                .stages
                .iter()
                .map(|(s, n)| format!("{s} {n}"))
                .collect();
            println!("    reached: {}", stages.join(", "));
        }
        for f in report.panics.iter().chain(&report.memory) {
            println!(
                "    input {}: {} ({} bytes: {:?})",
                f.input_no,
                f.message,
                f.input.len(),
                String::from_utf8_lossy(&f.input[..f.input.len().min(160)])
            );
        }
    }
    println!("total inputs {total}, findings {found}");
    if found > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
