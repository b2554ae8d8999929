//! Unbounded work from one input is a clear error: a bootstrap of 10^18 resamples, and a
//! label column with 100,000 distinct values (a k × k confusion matrix per group).

use inherit_eval::frame::MAX_CLASSES;
use inherit_eval::metrics::{Metric, Sample};
use inherit_eval::stats::bootstrap::MAX_RESAMPLES;
use inherit_eval::{BootstrapParams, MetricFrame, SensitiveFeature};

#[test]
fn a_huge_bootstrap_is_refused_before_any_work() {
    let y = [0usize, 1, 1, 0];
    let features = [SensitiveFeature::new("g", ["a", "a", "b", "b"])];
    for n_boot in [MAX_RESAMPLES + 1, 1_000_000_000_000_000_000] {
        let params = BootstrapParams {
            n_boot,
            ..Default::default()
        };
        let err = MetricFrame::with_bootstrap(
            &[Metric::Accuracy],
            Sample::new(&y, &y),
            &features,
            &params,
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("n_boot") && err.contains("100000"), "{err}");
    }
    let ok = BootstrapParams {
        n_boot: 50,
        ..Default::default()
    };
    MetricFrame::with_bootstrap(&[Metric::Accuracy], Sample::new(&y, &y), &features, &ok).unwrap();
}

#[test]
fn a_label_column_with_100k_distinct_values_is_refused() {
    let n = 100_000;
    let y_true: Vec<usize> = (0..n).collect();
    let y_pred = y_true.clone();
    let groups: Vec<String> = (0..n).map(|i| format!("g{}", i % 2)).collect();
    let err = MetricFrame::new(
        &[Metric::Accuracy, Metric::MacroF1],
        Sample::new(&y_true, &y_pred),
        &[SensitiveFeature::new("g", groups)],
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("100000 classes") && err.contains(&MAX_CLASSES.to_string()),
        "{err}"
    );
    // At the bound it works.
    let y: Vec<usize> = (0..MAX_CLASSES).collect();
    let groups: Vec<String> = (0..MAX_CLASSES).map(|i| format!("g{}", i % 2)).collect();
    MetricFrame::new(
        &[Metric::Accuracy],
        Sample::new(&y, &y),
        &[SensitiveFeature::new("g", groups)],
    )
    .unwrap();
}
