//! Malformed copies of the real files (written into a temporary data directory) give a
//! typed error naming the file and the line, never a panic.

mod common;

use std::path::Path;

use inherit_core::Error as CoreError;
use inherit_data::{
    BbqCategory, BoldDomain, DataDir, Error, Sst2Split, Stereotype, WinoBiasFile, WinoPart,
    WinoType,
};

/// A temporary data directory holding `relative` with `content`.
fn dir_with(relative: &str, content: &str) -> (tempfile::TempDir, DataDir) {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join(relative);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, content).unwrap();
    let dir = DataDir::new(tmp.path()).unwrap();
    (tmp, dir)
}

/// The first `n` lines of a real file, each ending in `\n`.
fn head(relative: &str, n: usize) -> Vec<String> {
    let real = common::data_dir().root().join(relative);
    std::fs::read_to_string(real)
        .unwrap()
        .lines()
        .take(n)
        .map(|l| format!("{l}\n"))
        .collect()
}

/// Asserts a parse error at `file:line` (and `field` when given); returns the message.
#[track_caller]
fn assert_parse<T: std::fmt::Debug>(
    res: inherit_data::Result<T>,
    file: &str,
    line: u64,
    field: Option<&str>,
) -> String {
    let err = res.unwrap_err();
    let msg = err.to_string();
    match &err {
        Error::Core(CoreError::Parse { location, .. }) => {
            assert!(location.path.ends_with(file), "{msg}");
            assert_eq!(location.line, line, "{msg}");
            if let Some(f) = field {
                assert_eq!(location.field.as_deref(), Some(f), "{msg}");
            }
        }
        other => panic!("expected a parse error, got {other:?}"),
    }
    assert!(
        msg.contains(&format!(
            "{}:{line}",
            Path::new(file).file_name().unwrap().to_string_lossy()
        )),
        "{msg}"
    );
    msg
}

#[track_caller]
fn assert_empty<T: std::fmt::Debug>(res: inherit_data::Result<T>, file: &str) {
    match res.unwrap_err() {
        Error::Core(CoreError::Empty { path }) => assert!(path.ends_with(file)),
        other => panic!("expected an empty-file error, got {other:?}"),
    }
}

#[test]
fn bbq_bad_json_wrong_type_missing_field_bad_label_and_empty() {
    let rel = "bbq/Age.jsonl";
    let good = head(rel, 2).concat();
    let (_t, dir) = dir_with(rel, &format!("{good}{{\"example_id\": 2,\n"));
    let msg = assert_parse(dir.bbq(BbqCategory::Age), rel, 3, None);
    assert!(msg.contains("invalid JSON"), "{msg}");

    let second = &head(rel, 2)[1];
    let line2 = format!(
        "{}\"label\": \"two\"}}\n",
        &second[..second.rfind("\"label\"").unwrap()]
    );
    let (_t, dir) = dir_with(rel, &format!("{}{line2}", head(rel, 1)[0]));
    assert_parse(dir.bbq(BbqCategory::Age), rel, 2, Some("label"));

    let out_of_range = head(rel, 1)[0].replace("\"label\": 2", "\"label\": 7");
    let (_t, dir) = dir_with(rel, &out_of_range);
    assert_parse(dir.bbq(BbqCategory::Age), rel, 1, Some("label"));

    let line = head(rel, 1)[0].replace("\"stereotyped_groups\": [\"old\"], ", "");
    let (_t, dir) = dir_with(rel, &format!("\n{line}"));
    assert_parse(
        dir.bbq(BbqCategory::Age),
        rel,
        2,
        Some("additional_metadata.stereotyped_groups"),
    );

    let line = head(rel, 1)[0].replace(
        "\"context_condition\": \"ambig\"",
        "\"context_condition\": \"vague\"",
    );
    let (_t, dir) = dir_with(rel, &line);
    assert_parse(dir.bbq(BbqCategory::Age), rel, 1, Some("context_condition"));

    let (_t, dir) = dir_with(rel, "\n\n");
    assert_empty(dir.bbq(BbqCategory::Age), rel);
}

#[test]
fn eec_missing_column_wrong_value_and_empty() {
    let rel = "eec/Equity-Evaluation-Corpus.csv";
    let lines = head(rel, 4);
    let no_gender: String = lines
        .iter()
        .map(|l| {
            let mut f: Vec<&str> = l.trim_end().split(',').collect();
            f.remove(4);
            format!("{}\n", f.join(","))
        })
        .collect();
    let (_t, dir) = dir_with(rel, &no_gender);
    let msg = assert_parse(dir.eec(), rel, 1, Some("Gender"));
    assert!(msg.contains("missing column"), "{msg}");

    let bad = format!(
        "{}{}{}",
        lines[0],
        lines[1],
        lines[2].replace(",male,", ",unknown,")
    );
    let (_t, dir) = dir_with(rel, &bad);
    assert_parse(dir.eec(), rel, 3, Some("Gender"));

    let short = format!("{}{}ID-1,Only a sentence\n", lines[0], lines[1]);
    let (_t, dir) = dir_with(rel, &short);
    assert_parse(dir.eec_dataset(), rel, 3, Some("Template"));

    let (_t, dir) = dir_with(rel, "");
    assert_empty(dir.eec(), rel);
    let (_t, dir) = dir_with(rel, &lines[0]);
    assert_empty(dir.eec(), rel);
}

#[test]
fn crows_pairs_wrong_type_bad_list_missing_column_and_empty() {
    let rel = "crows_pairs/crows_pairs_anonymized.csv";
    let lines = head(rel, 3);
    let bad_id = format!("{}{}x{}", lines[0], lines[1], &lines[2][1..]);
    let (_t, dir) = dir_with(rel, &bad_id);
    assert_parse(dir.crows_pairs(), rel, 3, Some(""));

    let bad_list = format!(
        "{}{}",
        lines[0],
        lines[1].replace("['a77', 'a78'", "['a77' 'a78'")
    );
    let (_t, dir) = dir_with(rel, &bad_list);
    assert_parse(dir.crows_pairs(), rel, 2, Some("anon_annotators"));

    let header = lines[0].replace("bias_type", "kind");
    let (_t, dir) = dir_with(rel, &format!("{header}{}", lines[1]));
    assert_parse(dir.crows_pairs(), rel, 1, Some("bias_type"));

    let (_t, dir) = dir_with(rel, &lines[0]);
    assert_empty(dir.crows_pairs(), rel);
}

#[test]
fn madlibs_and_sst2_bad_labels_missing_columns_and_empty() {
    let rel = "identity_madlibs/bias_madlibs_77k.csv";
    let (_t, dir) = dir_with(rel, "Text,Label,Template\n\"a b\",BAD,x\n\"c d\",MAYBE,x\n");
    assert_parse(dir.identity_madlibs(), rel, 3, Some("Label"));
    let (_t, dir) = dir_with(rel, "Text,Template\n\"a b\",x\n");
    assert_parse(dir.identity_madlibs(), rel, 1, Some("Label"));
    let (_t, dir) = dir_with(rel, "");
    assert_empty(dir.identity_madlibs(), rel);

    let rel = "sst2/dev.tsv";
    let (_t, dir) = dir_with(rel, "label\tsentence\n1\tgood film\n2\tbad film\n");
    assert_parse(dir.sst2(Sst2Split::Dev), rel, 3, Some("label"));
    let (_t, dir) = dir_with(rel, "label\ttext\n1\tgood film\n");
    assert_parse(dir.sst2(Sst2Split::Dev), rel, 1, Some("sentence"));
    let (_t, dir) = dir_with(rel, "label\tsentence\n");
    assert_empty(dir.sst2(Sst2Split::Dev), rel);
}

#[test]
fn winobias_lines_without_mentions_or_pronoun_and_empty() {
    let file = WinoBiasFile {
        stereotype: Stereotype::Pro,
        kind: WinoType::Type2,
        part: WinoPart::Test,
    };
    let rel = file.relative_path();
    let good = head(&rel, 2).concat();
    let (_t, dir) = dir_with(&rel, &format!("{good}3 The chief met the clerk.\n"));
    assert_parse(dir.winobias(file), &rel, 3, Some("sentence"));
    let (_t, dir) = dir_with(&rel, "1 [The chief] met [the clerk].\n");
    assert_parse(dir.winobias(file), &rel, 1, Some("pronoun"));
    let (_t, dir) = dir_with(&rel, "x [The chief] thanked [him].\n");
    assert_parse(dir.winobias(file), &rel, 1, Some("number"));
    let (_t, dir) = dir_with(&rel, "1 [The chief thanked [him].\n");
    assert_parse(dir.winobias(file), &rel, 1, Some("sentence"));
    let (_t, dir) = dir_with(&rel, "\n");
    assert_empty(dir.winobias(file), &rel);
}

#[test]
fn bold_and_holistic_bad_documents_and_empty() {
    let rel = BoldDomain::Gender.prompt_path();
    let (_t, dir) = dir_with(
        &rel,
        "{\"American_actors\": {\n  \"A_B\": [\"A B is \",]\n}}\n",
    );
    assert_parse(dir.bold_prompts(BoldDomain::Gender), &rel, 2, None);
    let (_t, dir) = dir_with(
        &rel,
        "{\"American_actors\": {\n  \"A_B\": [\"A B is \", 3]\n}}\n",
    );
    assert_parse(dir.bold_prompts(BoldDomain::Gender), &rel, 2, None);
    let (_t, dir) = dir_with(&rel, "  \n");
    assert_empty(dir.bold_prompts(BoldDomain::Gender), &rel);
    let (_t, dir) = dir_with(&rel, "{}");
    assert_empty(dir.bold_prompts(BoldDomain::Gender), &rel);

    let rel = "holistic_bias/descriptors.json";
    let (_t, dir) = dir_with(rel, "{\n \"age\": {\n  \"old\": [\"old\",\n   7]\n }\n}\n");
    assert_parse(dir.holistic_descriptors(), rel, 4, None);
    let (_t, dir) = dir_with(rel, "");
    assert_empty(dir.holistic_descriptors(), rel);
}

#[test]
fn missing_files_and_directories_are_named() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = DataDir::new(tmp.path()).unwrap();
    let err = dir.crows_pairs().unwrap_err();
    assert!(matches!(err, Error::MissingFile { .. }));
    let msg = err.to_string();
    assert!(
        msg.contains("CrowS-Pairs") && msg.contains("crows_pairs/crows_pairs_anonymized.csv"),
        "{msg}"
    );
    let err = dir.sst2(Sst2Split::Train).unwrap_err().to_string();
    assert!(err.contains("sst2/train.tsv"), "{err}");
    let gone = tmp.path().join("nope");
    let err = DataDir::new(&gone).unwrap_err();
    assert!(matches!(err, Error::MissingDataDir { .. }));
    assert!(err.to_string().contains("nope"));
}

#[test]
fn gender_pair_files_need_tabs_and_a_resolvable_gender() {
    let rel = "winobias/generalized_swaps.txt";
    let (_t, dir) = dir_with(rel, "he\tshe\nactor actress\n");
    assert_parse(dir.winobias_swaps(), rel, 2, None);
    let (_t, dir) = dir_with(rel, "he\tshe\n\nfoo\tbar\n");
    let msg = assert_parse(dir.winobias_swaps(), rel, 3, None);
    assert!(msg.contains("`foo`") && msg.contains("`bar`"), "{msg}");
    let (_t, dir) = dir_with(rel, "\n");
    assert_empty(dir.winobias_swaps(), rel);
}
