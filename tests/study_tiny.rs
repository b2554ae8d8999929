//! Runs the study end to end with the tiny in-process models (a small causal LM fine-tuned
//! on a stereotyped corpus as the generator, a hashing embedder), checks every output file
//! and the results schema, then checks that a rerun after an interruption redoes nothing
//! and gives the same results.

#[path = "../examples/study/cells.rs"]
mod cells;
#[path = "../examples/study/config.rs"]
mod config;
#[path = "../examples/study/generate.rs"]
mod generate;
#[path = "../examples/study/models.rs"]
mod models;
#[path = "../examples/study/report.rs"]
mod report;
#[path = "../examples/study/run.rs"]
mod run;

use config::StudyConfig;
use inherit::eval::report::read_results;

const TINY: &str = r#"
out = "unused"
task = "occupation"
bias_types = ["contrastive-single-explicit"]
gammas = [0.0, 0.2]
mitigations = ["none", "mask", "loss:1.0"]
seeds = [1, 2]
device = "flex"

[data]
train_per_cell = 2
test_per_cell = 2
seed = 0

[generator]
kind = "stand-in"
neutral_per_occupation = 3
augmented_per_occupation = 6
max_tokens = 40
temperature = 0.8
top_p = 0.95
batch_size = 8
seed = 7

[embedding]
kind = "hashing"
samples_per_source = 24
permutations = 50

[classifier]
model = "bag"
vocab_size = 500
embed_dim = 16
epochs = 3
batch_size = 32
learning_rate = 0.01
max_len = 64
"#;

fn config(out: &std::path::Path) -> StudyConfig {
    let mut c = StudyConfig::parse(TINY, "tiny").unwrap();
    c.out = out.to_path_buf();
    c
}

#[test]
fn tiny_study_writes_every_output_and_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let cfg = config(&out);
    run::run(&cfg, false).unwrap();

    for file in [
        "report.md",
        "results.jsonl",
        "results.csv",
        "manifest.json",
        "augmented/neutral.jsonl",
        "augmented/contrastive-single-explicit.jsonl",
        "cache/generations.jsonl",
        "plots/group-imbalance.svg",
        "plots/group-imbalance.png",
        "plots/tpr_gap_rms-contrastive-single-explicit.svg",
        "plots/tpr_gap_rms-contrastive-single-explicit.png",
    ] {
        let meta = std::fs::metadata(out.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert!(meta.len() > 0, "{file} is empty");
    }

    // The results schema: one record per cell with the documented metrics.
    let results = read_results(out.join("results.jsonl")).unwrap();
    assert_eq!(
        results.records.len(),
        2 * 3 * 2,
        "gammas x mitigations x seeds"
    );
    for r in &results.records {
        assert_eq!(r.task, "occupation");
        assert_eq!(r.bias_type, "contrastive-single-explicit");
        for key in [
            "accuracy",
            "accuracy_female",
            "accuracy_male",
            "accuracy_gap",
            "tpr_gap_rms",
            "tpr_gap_mean_abs",
            "dp_gap_max",
            "bias_amplification",
            "macro_f1",
        ] {
            assert!(r.metrics.contains_key(key), "missing {key} in {r:?}");
        }
        let acc = r.metrics["accuracy"];
        assert!((0.0..=1.0).contains(&acc));
        assert!(
            (r.metrics["accuracy_female"] - r.metrics["accuracy_male"] - r.metrics["accuracy_gap"])
                .abs()
                < 1e-12
        );
    }
    let report = std::fs::read_to_string(out.join("report.md")).unwrap();
    for section in [
        "## Finding",
        "## Group data misalignment",
        "## Data distribution misalignment",
        "## Downstream metrics",
        "## Mitigations vs none",
    ] {
        assert!(report.contains(section), "report.md lacks {section}");
    }
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["config"]["seeds"], serde_json::json!([1, 2]));
    assert_eq!(manifest["cells"], 12);

    // Interrupt: drop the last four results and tear the last line, as a kill would.
    let path = out.join("results.jsonl");
    let full = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<&str> = full.lines().collect();
    let mut cut = lines[..8].join("\n");
    cut.push('\n');
    cut.push_str(&lines[8][..lines[8].len() / 2]);
    std::fs::write(&path, cut).unwrap();
    run::run(&cfg, false).unwrap();
    let resumed = read_results(&path).unwrap().records;
    assert_eq!(resumed.len(), 12);
    let mut a = results.records.clone();
    let mut b = resumed.clone();
    let key =
        |r: &inherit::eval::report::ResultRecord| (r.gamma.to_bits(), r.mitigation.clone(), r.seed);
    a.sort_by_key(key);
    b.sort_by_key(key);
    assert_eq!(
        a, b,
        "a resumed run gives the same results as an uninterrupted one"
    );
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["timings"]["cells_skipped"], 8);
    assert_eq!(manifest["timings"]["cells_run"], 4);
}

#[test]
fn bad_configs_name_the_key() {
    let bad = TINY.replace("gammas = [0.0, 0.2]", "gammas = [0.0, 1.0]");
    let err = StudyConfig::parse(&bad, "x.toml").unwrap_err().to_string();
    assert!(err.contains("gammas[1]"), "{err}");
    let bad = TINY.replace("seeds = [1, 2]", "seeds = [1, 2]\ncolour = 3");
    let err = StudyConfig::parse(&bad, "x.toml").unwrap_err().to_string();
    assert!(err.contains("colour"), "{err}");
    let bad = TINY.replace("\"mask\"", "\"maks\"");
    let err = StudyConfig::parse(&bad, "x.toml").unwrap_err().to_string();
    assert!(
        err.contains("mitigations[1]") && err.contains("maks"),
        "{err}"
    );
    for (name, text) in [
        ("default", config::DEFAULT_TOML),
        ("quick", config::QUICK_TOML),
    ] {
        StudyConfig::parse(text, name).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    StudyConfig::parse(include_str!("../configs/full.toml"), "full").unwrap();
}
