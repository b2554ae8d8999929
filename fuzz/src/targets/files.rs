//! The append-only files and the generic readers: inherit-core's JSON-lines and
//! delimited-text readers, the results file (reader and writer), the generation cache.
//!
//! Besides "no panic", the writers are held to their promise on any starting file: if it
//! opens, the repaired file takes one more record and then reads back cleanly, with that
//! record last and nothing torn.

use inherit_augment::{CacheRecord, GenerationCache};
use inherit_core::Example;
use inherit_core::io::{DelimitedOptions, DelimitedReader, read_jsonl, write_jsonl};
use inherit_eval::report::results::{ResultRecord, ResultsWriter, read_results};

use crate::driver::{Case, Verdict};
use crate::seeds::{data_dir, file, head_lines, header_and_lines, workspace};

/// JSON-lines seeds: examples as the crates write them (original and augmented, with
/// groups and metadata), and JSON lines of other shapes from the fixtures.
pub fn jsonl_seeds() -> Vec<Vec<u8>> {
    let lines = [
        r#"{"id":"occ-17","text":"She is a nurse.","label":"nurse","groups":{"stated":{"gender":"female"}},"provenance":{"kind":"original","source":"occupation-suite"}}"#,
        r#"{"id":"aug-1","text":"He writes code.","label":"software engineer","groups":{"stated":{"gender":"male"},"inferred":{"gender":"male","culture":"anglo"}},"provenance":{"kind":"augmented","generator":"fake","bias_type":"contrastive-single-explicit","prompt_id":"p-1","seed":7,"round":0},"meta":{"k":"v"}}"#,
        r#"{"id":"x","text":"","provenance":{"kind":"original","source":""}}"#,
    ];
    let mut out = vec![format!("{}\n", lines.join("\n")).into_bytes()];
    out.extend(
        [
            "crates/inherit-augment/tests/fixtures/gender_labelled.jsonl",
            "crates/inherit-data/tests/fixtures/bios_labhc.jsonl",
        ]
        .iter()
        .filter_map(|p| head_lines(&workspace().join(p), 3)),
    );
    out
}

/// `read_jsonl` of examples (and of any JSON), and a write / read round trip of what it
/// read.
pub fn jsonl(case: &Case<'_>) -> Verdict {
    let path = case.write("examples.jsonl");
    let _ = read_jsonl::<serde_json::Value>(&path);
    match read_jsonl::<Example>(&path) {
        Ok(examples) => {
            let copy = case.dir.join("copy.jsonl");
            write_jsonl(&copy, &examples).expect("written");
            let back: Vec<Example> = read_jsonl(&copy).expect("what was written reads back");
            let (a, b) = (
                serde_json::to_value(&examples).expect("serialisable"),
                serde_json::to_value(&back).expect("serialisable"),
            );
            assert!(same_json(&a, &b), "JSON-lines round trip: {a} became {b}");
            Verdict::Accepted
        }
        Err(_) => Verdict::Rejected,
    }
}

/// JSON equality. The workspace enables serde_json's `float_roundtrip`, so every finite
/// float must come back bit for bit (without it, `1e-45` came back as
/// `1.0000000000000001e-45`; this target found that).
fn same_json(a: &serde_json::Value, b: &serde_json::Value) -> bool {
    a == b
}

/// CSV and TSV seeds: heads of the real delimited datasets and fixtures.
pub fn delimited_seeds() -> Vec<Vec<u8>> {
    let d = data_dir();
    [
        header_and_lines(&d.join("crows_pairs/crows_pairs_anonymized.csv"), 0, 3),
        header_and_lines(&d.join("eec/Equity-Evaluation-Corpus.csv"), 0, 3),
        header_and_lines(&d.join("identity_madlibs/bias_madlibs_77k.csv"), 0, 3),
        head_lines(&d.join("sst2/dev.tsv"), 4),
        file(&workspace().join("crates/inherit-data/tests/fixtures/bios_named.csv")),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// The delimited reader, as CSV and as TSV: every row, a few columns read as text and
/// as numbers.
pub fn delimited(case: &Case<'_>) -> Verdict {
    let path = case.write("table.csv");
    let mut any = false;
    for options in [DelimitedOptions::default(), DelimitedOptions::tsv()] {
        let Ok(mut reader) = DelimitedReader::open(&path, options, &[]) else {
            continue;
        };
        any = true;
        let _ = reader.has_column("label");
        for row in reader.rows().take(10_000) {
            let Ok(row) = row else { continue };
            let _ = row.line();
            for column in [
                "sentence",
                "label",
                "Sentence",
                "sent_more",
                "hard_text",
                "",
                "\u{feff}",
            ] {
                let _ = row.get(column);
                let _ = row.non_empty(column);
                let _ = row.parse::<f64>(column);
                let _ = row.parse::<u32>(column);
            }
        }
    }
    if any {
        Verdict::Accepted
    } else {
        Verdict::Rejected
    }
}

/// The record every results target appends.
fn results_record() -> ResultRecord {
    serde_json::from_value(serde_json::json!({
        "task": "occupation", "bias_type": "neutral", "gamma": 0.25,
        "mitigation": "mask:neutral", "seed": 7, "model": "modèle-α",
        "metrics": {"accuracy": 0.5, "gap": null},
        "ci": {"accuracy": {"low": 0.4, "high": 0.6}},
        "key": "k-fuzz"
    }))
    .expect("a valid record")
}

/// Results-file seeds: records as the study writes them, a torn last line, a record
/// without its newline.
pub fn results_seeds() -> Vec<Vec<u8>> {
    let line = serde_json::to_string(&results_record()).expect("serialisable");
    let other = line.replace("\"seed\":7", "\"seed\":8");
    vec![
        format!("{line}\n{other}\n").into_bytes(),
        format!("{line}\n{}", &other[..other.len() / 2]).into_bytes(),
        format!("{line}\n{other}").into_bytes(),
        b"{\"task\":\"t\",\"bias_type\":\"neutral\",\"gamma\":0,\"mitigation\":\"none\",\"seed\":1,\"model\":\"m\",\"metrics\":{}}\n".to_vec(),
    ]
}

/// `read_results`, then the writer on the same file: if it opens, an append, after which
/// the file reads back with that record last.
pub fn results(case: &Case<'_>) -> Verdict {
    let path = case.write("results.jsonl");
    let read = read_results(&path);
    let Ok(mut writer) = ResultsWriter::open(&path) else {
        return Verdict::Rejected;
    };
    let as_json = |r: &[ResultRecord]| serde_json::to_string(r).expect("serialisable");
    let existing = writer.existing().records.clone();
    let read = read.expect("the writer opened the file, so the reader reads it");
    assert_eq!(as_json(&read.records), as_json(&existing));
    let record = results_record();
    writer
        .append(&record)
        .expect("an append to a repaired file");
    drop(writer);
    let after = read_results(&path).expect("a repaired and appended file reads back");
    assert_eq!(
        after.ignored_partial_line, None,
        "nothing torn after a clean append"
    );
    assert_eq!(after.records.len(), existing.len() + 1);
    assert_eq!(
        as_json(&after.records[existing.len()..]),
        as_json(std::slice::from_ref(&record))
    );
    // Aggregation reads what the file holds (duplicate keys, odd numbers and all).
    let _ = inherit_eval::report::aggregate(&after.records, 0.95);
    Verdict::Accepted
}

fn cache_record(i: usize) -> CacheRecord {
    CacheRecord {
        key: format!("{i:032x}"),
        prompt_id: format!("p{i}"),
        output: format!("output {i}\nwith é and \u{1F600}"),
    }
}

/// Cache seeds: records, a torn last line, a record without its newline.
pub fn cache_seeds() -> Vec<Vec<u8>> {
    let line = |i| serde_json::to_string(&cache_record(i)).expect("serialisable");
    let (a, b) = (line(1), line(2));
    vec![
        format!("{a}\n{b}\n").into_bytes(),
        format!("{a}\n{}", &b[..b.len() - 7]).into_bytes(),
        format!("{a}\n{b}").into_bytes(),
    ]
}

/// The cache opened on the file: if it opens, an append of a new key, after which it
/// reopens with nothing to repair and the new record in it.
pub fn cache(case: &Case<'_>) -> Verdict {
    let path = case.write("cache.jsonl");
    let Ok(mut cache) = GenerationCache::open(&path) else {
        return Verdict::Rejected;
    };
    let n = cache.len();
    let record = cache_record(999_999);
    let known = cache.get(&record.key).map(str::to_owned);
    cache
        .append(std::slice::from_ref(&record))
        .expect("an append to a repaired cache");
    drop(cache);
    let reopened = GenerationCache::open(&path).expect("a repaired and appended cache reopens");
    assert_eq!(
        reopened.repaired_bytes(),
        0,
        "nothing torn after a clean append"
    );
    assert_eq!(reopened.len(), n + usize::from(known.is_none()));
    assert_eq!(
        reopened.get(&record.key),
        Some(known.as_deref().unwrap_or(&record.output))
    );
    Verdict::Accepted
}
