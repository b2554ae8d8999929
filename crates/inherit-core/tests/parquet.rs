//! Parquet input and output (feature `parquet`): a lossless round trip of datasets
//! (property test), result-style records, a table written by pyarrow through pandas
//! (`tests/fixtures/pandas_table.parquet`, made by `scripts/reference/parquet_fixtures.py`),
//! and typed errors for files that are not (whole) Parquet.
#![cfg(feature = "parquet")]

use std::path::PathBuf;

use inherit_core::{Axis, BiasType, CsvSpec, Dataset, Error, Example, Groups, Provenance, parquet};
use proptest::prelude::*;
use serde::{Deserialize, Serialize};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures")).join(name)
}

fn axis() -> impl Strategy<Value = Axis> {
    prop_oneof![
        Just(Axis::Gender),
        Just(Axis::Culture),
        "[a-z]{3,8}".prop_map(|s| s.parse::<Axis>().unwrap()),
    ]
}

fn provenance() -> impl Strategy<Value = Provenance> {
    prop_oneof![
        ".{0,12}".prop_map(Provenance::original),
        (".{0,8}", 0usize..9, ".{0,8}", any::<u64>(), 0u32..5).prop_map(
            |(g, b, p, seed, round)| Provenance::Augmented {
                generator: g,
                bias_type: BiasType::all()[b],
                prompt_id: p,
                seed,
                round,
            }
        ),
    ]
}

fn example() -> impl Strategy<Value = Example> {
    (
        "[a-z0-9]{1,6}",
        any::<String>(),
        proptest::option::of("[a-z ]{1,10}"),
        proptest::collection::btree_map(axis(), ".{0,6}", 0..3),
        proptest::collection::btree_map(axis(), ".{0,6}", 0..3),
        provenance(),
        proptest::collection::btree_map("[a-z]{1,5}", any::<i64>(), 0..3),
    )
        .prop_map(
            |(id, text, label, stated, inferred, provenance, meta)| Example {
                id,
                text,
                label,
                groups: Groups { stated, inferred },
                provenance,
                meta: meta.into_iter().map(|(k, v)| (k, v.into())).collect(),
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]
    #[test]
    fn parquet_round_trip_is_lossless(examples in proptest::collection::vec(example(), 1..12)) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("d_a.parquet");
        let data = Dataset::new("d_a", examples);
        data.write_parquet(&path).unwrap();
        let back = Dataset::read_parquet(&path).unwrap();
        prop_assert_eq!(back.examples, data.examples);
        prop_assert_eq!(back.labels, data.labels);
    }
}

/// A result row as a study writes one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Row {
    cell: String,
    gamma: f64,
    seed: u64,
    n: i64,
    mitigated: bool,
    note: Option<String>,
    metrics: std::collections::BTreeMap<String, f64>,
}

#[test]
fn records_keep_their_column_types() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("results.parquet");
    let rows: Vec<Row> = (0..3)
        .map(|i| Row {
            cell: format!("c{i}"),
            gamma: 0.25 * f64::from(i),
            seed: if i == 2 { u64::MAX } else { i as u64 },
            n: -7 * i64::from(i),
            mitigated: i % 2 == 0,
            note: (i == 1).then(|| "résumé".to_owned()),
            metrics: [("acc".to_owned(), 0.5 + f64::from(i))].into(),
        })
        .collect();
    parquet::write(&path, &rows).unwrap();
    assert_eq!(parquet::read::<Row>(&path).unwrap(), rows);
    // Scalars are typed columns; the map (and the u64 past i64) are JSON text.
    let raw = parquet::read_rows(&path).unwrap();
    assert_eq!(raw[0]["gamma"], serde_json::json!(0.0));
    assert_eq!(raw[1]["n"], serde_json::json!(-7));
    assert_eq!(raw[0]["mitigated"], serde_json::json!(true));
    assert_eq!(raw[0]["note"], serde_json::Value::Null);
    assert_eq!(raw[2]["metrics"]["acc"], serde_json::json!(2.5));
    assert_eq!(raw[2]["seed"], serde_json::json!(u64::MAX));
}

#[test]
fn a_pandas_table_reads_with_column_mapping() {
    let path = fixture("pandas_table.parquet");
    let rows = parquet::read_rows(&path).unwrap();
    assert_eq!(rows.len(), 3);
    // pyarrow's large_string, int64, double, bool, dictionary (pandas Categorical) and the
    // named index column.
    assert_eq!(rows[0]["sentence"], "a gripping, warm film");
    assert_eq!(rows[1]["label"], 0);
    assert_eq!(rows[1]["gender"], serde_json::Value::Null);
    assert_eq!(rows[1]["score"], -1.5);
    assert_eq!(rows[1]["flag"], false);
    assert_eq!(rows[2]["source"], "imdb");
    assert_eq!(rows[2]["row"], 9);
    let spec = CsvSpec::text("sentence")
        .label("label")
        .group(Axis::Gender, "gender");
    let data = Dataset::read_parquet_columns(&path, &spec).unwrap();
    assert_eq!(data.name, "pandas_table");
    assert_eq!(data.labels, ["0", "1"]);
    let got: Vec<(&str, Option<&str>, Option<&str>)> = data
        .examples
        .iter()
        .map(|e| {
            (
                e.id.as_str(),
                e.label.as_deref(),
                e.groups.value(&Axis::Gender),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("pandas_table.parquet:1", Some("1"), Some("female")),
            ("pandas_table.parquet:2", Some("0"), None),
            ("pandas_table.parquet:3", Some("1"), Some("male")),
        ]
    );
    // A missing column is named.
    let e = Dataset::read_parquet_columns(&path, &CsvSpec::text("text")).unwrap_err();
    assert!(e.to_string().contains("text"), "{e}");
    assert!(matches!(e, Error::Parse { .. }), "{e}");
}

#[test]
fn broken_files_are_typed_errors() {
    let dir = tempfile::tempdir().unwrap();
    let good = std::fs::read(fixture("pandas_table.parquet")).unwrap();
    let not_parquet = dir.path().join("x.parquet");
    std::fs::write(&not_parquet, b"hard_text,profession\n").unwrap();
    assert!(matches!(
        parquet::read_rows(&not_parquet),
        Err(Error::Parse { .. })
    ));
    // Every truncation, and a flipped byte in every position of the footer, is an error
    // or (where the data still decodes) rows, never a panic.
    for cut in (0..good.len()).step_by(97) {
        std::fs::write(&not_parquet, &good[..cut]).unwrap();
        assert!(parquet::read_rows(&not_parquet).is_err(), "cut at {cut}");
    }
    for at in good.len().saturating_sub(600)..good.len() {
        let mut bad = good.clone();
        bad[at] ^= 0x5a;
        std::fs::write(&not_parquet, &bad).unwrap();
        let _ = parquet::read_rows(&not_parquet);
    }
    // No rows: Empty.
    let empty = dir.path().join("empty.parquet");
    parquet::write::<Row>(&empty, &[]).unwrap();
    assert!(matches!(
        parquet::read_rows(&empty),
        Err(Error::Empty { .. })
    ));
}
