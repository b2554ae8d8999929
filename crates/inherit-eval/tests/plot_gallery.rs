//! Renders the report's two kinds of plot from numbers shaped like a default run's
//! (4 mitigations × 3 γ with overlapping intervals; a generator's group shares per
//! label with small counts) into `$INHERIT_PLOT_DIR`, for a person to look at:
//!
//! ```sh
//! INHERIT_PLOT_DIR=/tmp/plots cargo test -p inherit-eval --test plot_gallery -- --ignored
//! ```

use std::collections::BTreeMap;
use std::path::PathBuf;

use inherit_eval::report::{AggregateRow, group_counts_chart, metric_vs_gamma, save_plot};

fn row(mitigation: &str, gamma: f64, mean: f64, half: f64) -> AggregateRow {
    AggregateRow {
        task: "hiring".into(),
        bias_type: "contrastive-single-explicit".into(),
        gamma,
        mitigation: mitigation.into(),
        model: "smollm2-lora".into(),
        metric: "borderline_selection_gap".into(),
        n: 3,
        mean,
        std: half / 2.5,
        low: mean - half,
        high: mean + half,
    }
}

#[test]
#[ignore = "writes PNGs for a person to look at; set INHERIT_PLOT_DIR"]
fn gallery() {
    let dir = PathBuf::from(std::env::var_os("INHERIT_PLOT_DIR").expect("INHERIT_PLOT_DIR"));
    std::fs::create_dir_all(&dir).unwrap();
    let table = [
        ("loss:1.0", [0.0, 0.02, 0.0], 0.05),
        ("mask", [0.15, 0.2, 0.25], 0.2),
        ("none", [0.167, 0.21, 0.292], 0.25),
        ("token", [0.12, 0.25, 0.33], 0.3),
    ];
    let mut rows = Vec::new();
    for (m, means, half) in table {
        for (g, mean) in [0.0, 0.2, 0.5].into_iter().zip(means) {
            rows.push(row(m, g, mean, half));
        }
    }
    let chart = metric_vs_gamma(
        &rows,
        "hiring",
        "contrastive-single-explicit",
        "smollm2-lora",
        "borderline_selection_gap",
    )
    .unwrap();
    save_plot(&chart.to_svg().unwrap(), dir.join("metric-vs-gamma")).unwrap();

    let counts: Vec<(String, BTreeMap<String, usize>)> = vec![
        (
            "nurse".into(),
            BTreeMap::from([("female".into(), 9), ("male".into(), 1)]),
        ),
        (
            "software_engineer".into(),
            BTreeMap::from([("female".into(), 0), ("male".into(), 2)]),
        ),
        (
            "teacher".into(),
            BTreeMap::from([("female".into(), 6), ("male".into(), 4)]),
        ),
    ];
    let chart = group_counts_chart("Generator's inferred gender under neutral prompts", &counts);
    save_plot(&chart.to_svg().unwrap(), dir.join("group-imbalance")).unwrap();
}
