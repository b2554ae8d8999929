//! Results files, aggregation, tables and plots.

use std::collections::BTreeMap;
use std::io::Write;

use inherit_eval::report::{
    ResultRecord, aggregate, append_result, group_imbalance_chart, markdown_table, metric_vs_gamma,
    read_results, save_plot, write_csv,
};
use inherit_eval::stats::Interval;

fn record(gamma: f64, mitigation: &str, seed: u64, acc: f64) -> ResultRecord {
    ResultRecord {
        task: "occupation".into(),
        bias_type: "contrastive-single-explicit".into(),
        gamma,
        mitigation: mitigation.into(),
        seed,
        round: 0,
        model: "tiny".into(),
        metrics: BTreeMap::from([
            ("accuracy".to_string(), acc),
            ("tpr_gap_rms".to_string(), f64::NAN),
        ]),
        ci: BTreeMap::from([(
            "accuracy".to_string(),
            Interval {
                low: acc - 0.01,
                high: acc + 0.01,
            },
        )]),
        samples: BTreeMap::new(),
        key: String::new(),
        key_parts: BTreeMap::new(),
    }
}

#[test]
fn aggregation_counts_a_duplicated_cell_key_once() {
    let mut a = record(0.5, "none", 1, 0.6);
    a.key = "k1".into();
    let mut b = record(0.5, "none", 2, 0.8);
    b.key = "k2".into();
    // A second run on the same folder appended cell k2 again with another value.
    let mut dup = record(0.5, "none", 2, 0.1);
    dup.key = "k2".into();
    let rows = aggregate(&[a, b, dup], 0.95).unwrap();
    let acc = rows.iter().find(|r| r.metric == "accuracy").unwrap();
    assert_eq!(acc.n, 2);
    assert!(
        (acc.mean - 0.7).abs() < 1e-12,
        "mean of 0.6 and 0.8, not of all three"
    );
}

/// Width and height from a PNG's IHDR chunk.
fn png_size(bytes: &[u8]) -> (u32, u32) {
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "PNG signature");
    let be = |i: usize| u32::from_be_bytes(bytes[i..i + 4].try_into().unwrap());
    (be(16), be(20))
}

#[test]
fn appends_survive_a_partial_last_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("runs/results.jsonl");
    append_result(&path, &record(0.0, "none", 1, 0.8)).unwrap();
    append_result(&path, &record(0.0, "none", 2, 0.82)).unwrap();
    // a crash mid-write leaves half a record
    std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap()
        .write_all(b"{\"task\":\"occ")
        .unwrap();
    let read = read_results(&path).unwrap();
    assert_eq!(read.records.len(), 2);
    assert_eq!(read.ignored_partial_line, Some(3));
    assert!(
        read.records[0].metrics["tpr_gap_rms"].is_nan(),
        "NaN round-trips through null"
    );
    let second = &read.records[1];
    assert_eq!((second.seed, second.metrics["accuracy"]), (2, 0.82));
    assert_eq!(second.ci["accuracy"].high, 0.83);
    // the next append cuts the partial line off
    append_result(&path, &record(0.5, "none", 1, 0.7)).unwrap();
    let read = read_results(&path).unwrap();
    assert_eq!(read.records.len(), 3);
    assert_eq!(read.ignored_partial_line, None);
    // a malformed line in the middle is an error naming the line
    let text = std::fs::read_to_string(&path).unwrap();
    let broken = text.replacen("\"seed\":2", "\"seed\":\"two\"", 1);
    std::fs::write(&path, broken).unwrap();
    let err = read_results(&path).unwrap_err().to_string();
    assert!(
        err.contains("results.jsonl:2") && err.contains("seed"),
        "{err}"
    );
}

#[test]
fn aggregates_tables_and_plots() {
    let mut records = Vec::new();
    for (g, accs_none, accs_mask) in [
        (0.0, [0.80, 0.82, 0.84], [0.81, 0.83, 0.82]),
        (0.5, [0.70, 0.74, 0.72], [0.78, 0.80, 0.79]),
        (1.0, [0.60, 0.66, 0.63], [0.75, 0.77, 0.76]),
    ] {
        for s in 0..3 {
            records.push(record(g, "none", s, accs_none[s as usize]));
            records.push(record(g, "mask", s, accs_mask[s as usize]));
        }
    }
    let rows = aggregate(&records, 0.95).unwrap();
    let r = rows
        .iter()
        .find(|r| r.gamma == 0.0 && r.mitigation == "none" && r.metric == "accuracy")
        .unwrap();
    // mean .82, std .02, half-width t.ppf(.975, 2) * .02 / sqrt(3); scipy 1.17.1: t.ppf(.975, 2) = 4.302652729749462
    assert_eq!(r.n, 3);
    assert!((r.mean - 0.82).abs() < 1e-12 && (r.std - 0.02).abs() < 1e-12);
    assert!((r.high - (0.82 + 4.302652729749462 * 0.02 / 3f64.sqrt())).abs() < 1e-9);
    let gap = rows.iter().find(|r| r.metric == "tpr_gap_rms").unwrap();
    assert_eq!(gap.n, 0, "NaN values are left out");

    let md = markdown_table(&rows, &["accuracy"]);
    assert_eq!(
        md.lines().count(),
        2 + 6,
        "header, rule, 3 γ x 2 mitigations"
    );
    assert!(
        md.contains(
            "| occupation | contrastive-single-explicit | 0 | none | tiny | 0.820 ± 0.050 |"
        ),
        "{md}"
    );

    let dir = tempfile::tempdir().unwrap();
    write_csv(dir.path().join("agg.csv"), &rows).unwrap();
    let csv = std::fs::read_to_string(dir.path().join("agg.csv")).unwrap();
    assert!(csv.starts_with("task,bias_type,gamma,mitigation,model,metric,n,mean,std,low,high\n"));
    assert_eq!(csv.lines().count(), 1 + rows.len());

    let chart = metric_vs_gamma(
        &rows,
        "occupation",
        "contrastive-single-explicit",
        "tiny",
        "accuracy",
    )
    .unwrap();
    assert_eq!(chart.series.len(), 2);
    let svg = chart.to_svg().unwrap();
    assert!(svg.contains(">mask</text>") && svg.contains(">none</text>"));
    // Intervals are error bars (no translucent bands), `none` is listed first and every
    // mitigation has its fixed colour in the legend and on its line.
    assert!(!svg.contains("<polygon") && !svg.contains("fill-opacity=\"0.18\""));
    assert!(
        svg.find(">none</text>") < svg.find(">mask</text>"),
        "none first"
    );
    assert_eq!(chart.series[0].name, "none");
    for m in ["none", "mask"] {
        let color = inherit_eval::report::mitigation_color(m).unwrap();
        assert!(
            svg.contains(&format!("stroke=\"{color}\" stroke-width=\"2\"")),
            "{m}'s line in {color}"
        );
        assert!(
            svg.contains(&format!("fill=\"{color}\"/>")),
            "{m}'s swatch in {color}"
        );
    }
    let (svg_path, png_path) = save_plot(&svg, dir.path().join("accuracy_vs_gamma")).unwrap();
    let svg_len = std::fs::metadata(&svg_path).unwrap().len();
    let png = std::fs::read(&png_path).unwrap();
    assert!(svg_len > 2_000, "svg is {svg_len} bytes");
    assert!(png.len() > 10_000, "png is {} bytes", png.len());
    assert_eq!(png_size(&png), (1440, 880), "720x440 at 2x");

    let dists = vec![
        (
            "original".to_string(),
            BTreeMap::from([("female".to_string(), 0.5), ("male".to_string(), 0.5)]),
        ),
        (
            "augmented".to_string(),
            BTreeMap::from([("female".to_string(), 0.8), ("male".to_string(), 0.2)]),
        ),
    ];
    let bars = group_imbalance_chart("gender shares", &dists);
    let svg = bars.to_svg().unwrap();
    assert_eq!(
        svg.matches("<rect x=").count(),
        4 + 2,
        "four bars and two legend swatches"
    );
    let (_, png_path) = save_plot(&svg, dir.path().join("imbalance")).unwrap();
    let png = std::fs::read(&png_path).unwrap();
    assert_eq!(png_size(&png), (1440, 880));
    assert!(png.len() > 5_000);
    assert!(metric_vs_gamma(&rows, "nope", "x", "y", "z").is_err());

    // Counts: `k/n` above each bar, a Wilson interval, and the parity line.
    let counts = vec![(
        "software_engineer".to_string(),
        BTreeMap::from([("female".to_string(), 0usize), ("male".to_string(), 2)]),
    )];
    let chart = inherit_eval::report::group_counts_chart("shares", &counts);
    assert_eq!(chart.series[0].1, vec![0.0, 1.0]);
    let (lo, hi) = chart.intervals[0][1].unwrap();
    assert!(
        lo > 0.3 && lo < 0.4 && hi == 1.0,
        "Wilson interval of 2/2: {lo}..{hi}"
    );
    assert_eq!(chart.reference, Some((0.5, "parity".to_string())));
    let svg = chart.to_svg().unwrap();
    assert!(svg.contains(">2/2</text>") && svg.contains(">0/2</text>"));
    assert!(svg.contains("stroke-dasharray") && svg.contains(">parity</text>"));
}

#[test]
fn other_series_never_take_a_mitigations_colour() {
    use inherit_eval::report::{mitigation_color, series_color};
    let fixed: Vec<&str> = ["none", "token", "mask", "loss:1.0", "reweigh", "cda", "tag"]
        .iter()
        .map(|m| mitigation_color(m).unwrap())
        .collect();
    for i in 0..12 {
        let c = series_color(&format!("label{i}"), i);
        assert!(!fixed.contains(&c), "series {i} took {c}");
    }
    // A spec's colour is its first strategy's, in every plot.
    assert_eq!(mitigation_color("loss:0.5"), mitigation_color("loss:1.0"));
    assert_eq!(series_color("mask", 3), series_color("mask", 0));
}
