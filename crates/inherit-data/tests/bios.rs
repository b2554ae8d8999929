//! The Bias in Bios loader on small fixtures in both common exports.

use std::path::PathBuf;

use inherit_core::{Axis, Error as CoreError};
use inherit_data::{BIOS_PROFESSIONS, Error, read_bias_in_bios};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures")).join(name)
}

#[test]
fn labhc_jsonl_with_integer_codes() {
    let data = read_bias_in_bios(&fixture("bios_labhc.jsonl")).unwrap();
    assert_eq!(data.name, "bias-in-bios");
    assert_eq!(data.len(), 4);
    // LabHC codes: profession 1 = architect, 6 = dentist, 13 = nurse, 24 =
    // software_engineer; gender 1 = female, 0 = male.
    let got: Vec<(&str, &str)> = data
        .examples
        .iter()
        .map(|e| {
            (
                e.label.as_deref().unwrap(),
                e.groups.value(&Axis::Gender).unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("architect", "female"),
            ("dentist", "male"),
            ("nurse", "female"),
            ("software_engineer", "male")
        ]
    );
    // The blank line 3 is skipped; ids keep the file line.
    assert_eq!(data.examples[2].id, "bios_labhc.jsonl:4");
    assert_eq!(
        data.examples[2].text,
        "She works night shifts on a cardiac ward."
    );
    assert_eq!(BIOS_PROFESSIONS.len(), 28);
    assert_eq!(BIOS_PROFESSIONS[21], "professor");
}

#[test]
fn csv_with_names_and_letters() {
    let data = read_bias_in_bios(&fixture("bios_named.csv")).unwrap();
    assert_eq!(data.len(), 3);
    assert_eq!(data.labels, ["painter", "professor", "software_engineer"]);
    let e = &data.examples[0];
    assert_eq!(
        e.text,
        "She lectures on medieval history, and supervises doctoral students."
    );
    assert_eq!(e.label.as_deref(), Some("professor"));
    assert_eq!(e.groups.value(&Axis::Gender), Some("female"));
    assert_eq!(data.examples[1].groups.value(&Axis::Gender), Some("male"));
    assert_eq!(data.examples[2].label.as_deref(), Some("software_engineer"));
}

#[track_caller]
fn parse_error_at(content: &str, ext: &str, line: u64, field: &str) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(format!("bios.{ext}"));
    std::fs::write(&path, content).unwrap();
    match read_bias_in_bios(&path).unwrap_err() {
        Error::Core(CoreError::Parse { location, message }) => {
            assert_eq!(location.path, path);
            assert_eq!(location.line, line, "{message}");
            assert_eq!(location.field.as_deref(), Some(field), "{message}");
        }
        other => panic!("expected a parse error, got {other:?}"),
    }
}

#[test]
fn malformed_exports_name_line_and_field() {
    let ok = "{\"hard_text\": \"a\", \"profession\": 1, \"gender\": 0}\n";
    parse_error_at(
        &format!("{ok}{{\"hard_text\": \"b\", \"profession\": 28, \"gender\": 0}}\n"),
        "jsonl",
        2,
        "profession",
    );
    parse_error_at(
        &format!("{ok}{ok}{{\"hard_text\": \"b\", \"profession\": 2, \"gender\": 5}}\n"),
        "jsonl",
        3,
        "gender",
    );
    parse_error_at(
        &format!("{ok}{{\"hard_text\": 5, \"profession\": 2, \"gender\": 1}}\n"),
        "jsonl",
        2,
        "hard_text",
    );
    parse_error_at(
        "{\"profession\": 2, \"gender\": 1}\n",
        "jsonl",
        1,
        "hard_text",
    );
    parse_error_at(
        &format!("{ok}{{\"hard_text\": \"b\", \"profession\": [2], \"gender\": 1}}\n"),
        "jsonl",
        2,
        "profession",
    );
    parse_error_at("hard_text,profession\n\"a\",nurse\n", "csv", 1, "gender");
    parse_error_at(
        "hard_text,profession,gender\n\"a\",nurse,F\n\"\",nurse,F\n",
        "csv",
        3,
        "hard_text",
    );

    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("bios.jsonl");
    std::fs::write(&empty, "\n").unwrap();
    assert!(matches!(
        read_bias_in_bios(&empty),
        Err(Error::Core(CoreError::Empty { .. }))
    ));
    let bad_json = dir.path().join("bad.jsonl");
    std::fs::write(&bad_json, format!("{ok}{{\"hard_text\": \n")).unwrap();
    let msg = read_bias_in_bios(&bad_json).unwrap_err().to_string();
    assert!(
        msg.contains("bad.jsonl:2") && msg.contains("invalid JSON"),
        "{msg}"
    );
    // A `.parquet` file that is not Parquet: a parse error naming it with the feature,
    // a pointer to the feature without it.
    let parquet = dir.path().join("bios.parquet");
    std::fs::write(&parquet, "x").unwrap();
    let err = read_bias_in_bios(&parquet);
    if cfg!(feature = "parquet") {
        assert!(
            matches!(&err, Err(Error::Core(CoreError::Parse { .. }))),
            "{err:?}"
        );
        assert!(err.unwrap_err().to_string().contains("bios.parquet"));
    } else {
        assert!(matches!(
            err,
            Err(Error::Core(CoreError::InvalidParam { .. }))
        ));
    }
}

/// The LabHC records of `bios_labhc.jsonl` as the upstream's Parquet stores them
/// (`bios_labhc.parquet`, written by pyarrow through pandas with an index column and a
/// categorical one: `scripts/reference/parquet_fixtures.py`).
#[cfg(feature = "parquet")]
#[test]
fn labhc_parquet_with_integer_codes() {
    let data = read_bias_in_bios(&fixture("bios_labhc.parquet")).unwrap();
    assert_eq!(data.name, "bias-in-bios");
    let got: Vec<(&str, &str, &str)> = data
        .examples
        .iter()
        .map(|e| {
            (
                e.id.as_str(),
                e.label.as_deref().unwrap(),
                e.groups.value(&Axis::Gender).unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("bios_labhc.parquet:1", "architect", "female"),
            ("bios_labhc.parquet:2", "dentist", "male"),
            ("bios_labhc.parquet:3", "nurse", "female"),
            ("bios_labhc.parquet:4", "software_engineer", "male")
        ]
    );
    assert_eq!(
        data.examples[2].text,
        "She works night shifts on the cardiac ward."
    );
}

#[cfg(not(feature = "parquet"))]
#[test]
fn parquet_without_the_feature_says_which_feature() {
    let err = read_bias_in_bios(&fixture("bios_labhc.parquet")).unwrap_err();
    assert!(err.to_string().contains("`parquet` feature"), "{err}");
}
