//! MetricFrame throughput: 1,000,000 rows, 3 groups, 5 confusion-based metrics, with and
//! without a 100-resample bootstrap. Run with
//! `cargo bench -p inherit-eval --bench metric_frame`.

use std::time::Instant;

use inherit_eval::{BootstrapParams, Metric, MetricFrame, Sample, SensitiveFeature};
use rand::RngExt;

fn main() {
    let n = 1_000_000;
    let mut rng = inherit_core::seeded_rng(1);
    let y_true: Vec<usize> = (0..n).map(|_| rng.random_range(0..2)).collect();
    let y_pred: Vec<usize> = y_true
        .iter()
        .map(|&y| if rng.random::<f64>() < 0.8 { y } else { 1 - y })
        .collect();
    let groups: Vec<&str> = (0..n)
        .map(|_| ["a", "b", "c"][rng.random_range(0..3)])
        .collect();
    let features = [SensitiveFeature::new("group", groups)];
    let metrics = [
        Metric::Accuracy,
        Metric::MacroF1,
        Metric::SelectionRate(1),
        Metric::Tpr(1),
        Metric::Fpr(1),
    ];
    let sample = Sample::new(&y_true, &y_pred);

    let t = Instant::now();
    let mf = MetricFrame::new(&metrics, sample, &features).expect("frame");
    let point = t.elapsed().as_secs_f64();
    println!(
        "MetricFrame, {n} rows, 3 groups, {} metrics: {:.3} s ({:.1} M rows/s); accuracy {:.4}",
        metrics.len(),
        point,
        n as f64 / point / 1e6,
        mf.overall("accuracy").expect("accuracy")
    );

    let params = BootstrapParams {
        n_boot: 100,
        confidence: 0.95,
        seed: 7,
    };
    let t = Instant::now();
    let mf =
        MetricFrame::with_bootstrap(&metrics, sample, &features, &params).expect("bootstrap frame");
    let boot = t.elapsed().as_secs_f64();
    let ci = mf
        .summary("accuracy")
        .expect("accuracy")
        .ci
        .as_ref()
        .expect("ci")
        .overall;
    println!(
        "MetricFrame + bootstrap 100, {n} rows, 3 groups: {:.3} s ({:.1} M resampled rows/s); accuracy 95% CI [{:.4}, {:.4}]",
        boot,
        (n as f64 * 101.0) / boot / 1e6,
        ci.low,
        ci.high
    );
}
