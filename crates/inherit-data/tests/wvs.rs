//! The World Values Survey loader on the shared files, and on malformed copies.
//!
//! Every figure here was counted independently by `scripts/reference/wvs_reference.py`
//! (Python 3.11.7, standard library only) on the shared files.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use inherit_core::Error as CoreError;
use inherit_data::{DataDir, Error, SkipReason, WvsCountry, WvsFile, WvsSurvey, read_wvs_file};

fn ids(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

/// The skipped question ids of one country, by reason.
fn skipped_by_reason(
    survey: &WvsSurvey,
    country: WvsCountry,
) -> BTreeMap<&'static str, Vec<String>> {
    let mut out: BTreeMap<&'static str, Vec<String>> = BTreeMap::new();
    for s in survey.skipped_of(country) {
        out.entry(s.reason.kind())
            .or_default()
            .push(s.question_id.clone());
    }
    out
}

#[test]
fn wvs_has_79_common_ids_of_which_64_have_english_text() {
    let survey = common::data_dir().wvs().unwrap();
    let sizes: Vec<usize> = survey.files.iter().map(|f| f.entries.len()).collect();
    assert_eq!(sizes, [104, 102, 103, 103]);
    // The issue and shared/data/README.md say 79; so do we.
    assert_eq!(survey.common_ids.len(), 79);
    assert_eq!(survey.common_ids.first().map(String::as_str), Some("1"));
    // The US file's ethical-values rows are in Japanese; 182 is not common (Egypt has
    // none), so 15 common ids have no English text.
    assert_eq!(
        survey.without_english,
        ids(&[
            "177", "178", "179", "180", "181", "184", "185", "187", "188", "189", "190", "191",
            "192", "194", "195"
        ])
    );
    assert_eq!(survey.questions.len(), 64);
    assert_eq!(survey.complete_questions().len(), 56);
    let q = &survey.questions[0];
    assert_eq!(q.question_id, "1");
    assert_eq!(q.text, "How important is family in your life?");
    assert_eq!(
        q.option_texts(),
        [
            "Very important",
            "Rather important",
            "Not very important",
            "Not at all important"
        ]
    );
    assert!(
        survey
            .questions
            .iter()
            .all(|q| WvsCountry::UnitedStates.is_in_language(&q.text))
    );
}

#[test]
fn wvs_skipped_distributions_are_counted_per_country_with_their_reason() {
    let survey = common::data_dir().wvs().unwrap();
    let us = skipped_by_reason(&survey, WvsCountry::UnitedStates);
    assert_eq!(
        us["not-in-language"],
        ids(&[
            "177", "178", "179", "180", "181", "182", "184", "185", "187", "188", "189", "190",
            "191", "192", "194", "195"
        ])
    );
    // 42–45: four shares for three options; 171, 172: four shares for 7 and 8 options.
    assert_eq!(
        us["wrong-length"],
        ids(&["42", "43", "44", "45", "171", "172"])
    );
    // 162: shares keyed 1 and 2, options coded 1 and 10.
    assert_eq!(us["unknown-option"], ids(&["162"]));
    assert_eq!(us.len(), 3);
    for country in [WvsCountry::Egypt, WvsCountry::China, WvsCountry::Japan] {
        let by = skipped_by_reason(&survey, country);
        assert_eq!(by["unknown-option"], ids(&["162"]), "{country}");
        // 176: the US offers the end points 1 and 10 of the scale, the others code them 1, 2.
        assert_eq!(by["options-differ"], ids(&["176"]), "{country}");
        assert_eq!(by.len(), 2, "{country}: {by:?}");
    }
    let totals: Vec<usize> = WvsCountry::ALL
        .iter()
        .map(|c| survey.skip_counts()[c].values().sum())
        .collect();
    assert_eq!(totals, [23, 2, 2, 2]);
    // Each skip names the line of its question in the country's file.
    let line = |c: WvsCountry, id: &str| {
        survey
            .skipped_of(c)
            .into_iter()
            .find(|s| s.question_id == id)
            .map(|s| s.line)
    };
    assert_eq!(line(WvsCountry::UnitedStates, "42"), Some(318));
    assert_eq!(line(WvsCountry::UnitedStates, "162"), Some(886));
    assert_eq!(line(WvsCountry::UnitedStates, "177"), Some(1062));
    assert_eq!(line(WvsCountry::Japan, "176"), Some(1054));
    let wrong = survey
        .skipped_of(WvsCountry::UnitedStates)
        .into_iter()
        .find(|s| s.question_id == "171")
        .unwrap();
    assert_eq!(
        wrong.reason,
        SkipReason::WrongLength {
            options: 7,
            shares: 4
        }
    );
    // A skipped distribution leaves its country out of the question, nothing else.
    let q176 = survey
        .questions
        .iter()
        .find(|q| q.question_id == "176")
        .unwrap();
    assert_eq!(
        q176.distributions.keys().copied().collect::<Vec<_>>(),
        [WvsCountry::UnitedStates]
    );
    assert!(
        !survey
            .questions
            .iter()
            .any(|q| q.question_id == "162" && !q.distributions.is_empty())
    );
}

#[test]
fn wvs_us_ethics_rows_are_japans_rows() {
    // Why the US rows 177–195 are skipped: text and shares are Japan's, verbatim.
    let dir = common::data_dir();
    let us = dir.wvs_file(WvsCountry::UnitedStates).unwrap();
    let jp = dir.wvs_file(WvsCountry::Japan).unwrap();
    let copied: Vec<&str> = us
        .entries
        .iter()
        .filter(|e| matches!(e.distribution, Err(SkipReason::NotInLanguage { .. })))
        .filter(|e| {
            jp.get(&e.question_id)
                .is_some_and(|j| j.text == e.text && j.options == e.options)
        })
        .map(|e| e.question_id.as_str())
        .collect();
    assert_eq!(copied.len(), 16);
    assert_eq!(copied[0], "177");
}

#[test]
fn wvs_question_4_is_normalised_by_hand() {
    // Question 4, "How important is politics in your life?": the files' shares and their
    // sums (0.97, 0.96, 0.98, 0.95), normalised by wvs_reference.py.
    let survey = common::data_dir().wvs().unwrap();
    let q = survey
        .questions
        .iter()
        .find(|q| q.question_id == "4")
        .unwrap();
    assert_eq!(q.text, "How important is politics in your life?");
    let expected: [(WvsCountry, [f64; 4]); 4] = [
        (
            WvsCountry::UnitedStates,
            [
                0.1443298969072165,
                0.422680412371134,
                0.36082474226804123,
                0.07216494845360825,
            ],
        ),
        (
            WvsCountry::Egypt,
            [
                0.08333333333333334,
                0.22916666666666669,
                0.3020833333333333,
                0.3854166666666667,
            ],
        ),
        (
            WvsCountry::China,
            [
                0.15306122448979592,
                0.3877551020408163,
                0.3877551020408163,
                0.07142857142857144,
            ],
        ),
        (
            WvsCountry::Japan,
            [
                0.15789473684210525,
                0.5157894736842105,
                0.28421052631578947,
                0.042105263157894736,
            ],
        ),
    ];
    for (country, shares) in expected {
        let got = &q.distributions[&country];
        for (g, e) in got.iter().zip(shares) {
            assert!((g - e).abs() < 1e-12, "{country}: {got:?}");
        }
    }
    let us = survey.files[0].get("4").unwrap();
    assert!((us.distribution.as_ref().unwrap().raw_sum - 0.97).abs() < 1e-12);
}

#[test]
fn wvs_shares_follow_option_codes_not_positions() {
    // The US file lists question 121's options from "5. Very Good" down to "1. Very bad";
    // its shares are keyed 1..5 and sum to 1.24.
    let us = common::data_dir()
        .wvs_file(WvsCountry::UnitedStates)
        .unwrap();
    let e = us.get("121").unwrap();
    let codes: Vec<&str> = e.options.iter().map(|o| o.code.as_str()).collect();
    assert_eq!(codes, ["5", "4", "3", "2", "1"]);
    assert_eq!(e.options[0].text, "Very Good");
    let d = e.distribution.as_ref().unwrap();
    let expected = [0.11, 0.28, 0.43, 0.12, 0.30].map(|x| x / 1.24);
    for (g, x) in d.shares.iter().zip(expected) {
        assert!((g - x).abs() < 1e-12, "{:?}", d.shares);
    }
    assert!((d.raw_sum - 1.24).abs() < 1e-12);
}

/// A minimal file for `country` with the given examples (each a JSON object on its own
/// lines), starting at line 3.
fn file_with(examples: &[&str]) -> String {
    format!("{{\n  \"examples\": [\n{}\n  ]\n}}\n", examples.join(",\n"))
}

fn write(dir: &Path, name: &str, content: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, content).unwrap();
    path
}

#[test]
fn wvs_skip_reasons_each_have_their_rule() {
    let tmp = tempfile::tempdir().unwrap();
    let ex = |id: &str, text: &str, dist: &str| {
        format!(
            "    {{\"question_id\": \"{id}\", \"question_text\": \"{text}\",\n     \"options\": [\"1. Yes\", \"2. No\"]{dist}}}"
        )
    };
    let entries = [
        ex("1", "Fine?", ", \"distribution\": {\"1\": 0.5, \"2\": 1.5}"),
        ex("2", "Missing?", ""),
        ex("3", "Null?", ", \"distribution\": null"),
        ex("4", "List?", ", \"distribution\": [0.5, 0.5]"),
        ex(
            "5",
            "Text?",
            ", \"distribution\": {\"1\": \"half\", \"2\": 0.5}",
        ),
        ex(
            "6",
            "Negative?",
            ", \"distribution\": {\"1\": -0.1, \"2\": 1.1}",
        ),
        ex("7", "Short?", ", \"distribution\": {\"1\": 1.0}"),
        ex(
            "8",
            "Unknown?",
            ", \"distribution\": {\"1\": 0.5, \"3\": 0.5}",
        ),
        ex("9", "Zero?", ", \"distribution\": {\"1\": 0, \"2\": 0.0}"),
        ex(
            "10",
            "同性愛を正当化できますか",
            ", \"distribution\": {\"1\": 0.5, \"2\": 0.5}",
        ),
    ];
    let refs: Vec<&str> = entries.iter().map(String::as_str).collect();
    let path = write(tmp.path(), "us_wvs.json", &file_with(&refs));
    let file = read_wvs_file(&path, WvsCountry::UnitedStates).unwrap();
    assert_eq!(file.entries.len(), 10);
    let d = file.entries[0].distribution.as_ref().unwrap();
    assert_eq!(d.shares, [0.25, 0.75]);
    assert_eq!(file.entries[0].line, 3);
    assert_eq!(file.entries[1].line, 5);
    let kinds: Vec<&str> = file.skipped().iter().map(|s| s.reason.kind()).collect();
    assert_eq!(
        kinds,
        [
            "missing",
            "missing",
            "not-an-object",
            "not-a-number",
            "negative",
            "wrong-length",
            "unknown-option",
            "all-zero",
            "not-in-language"
        ]
    );
    let skipped = file.skipped();
    assert_eq!(skipped[0].line, 5);
    assert_eq!(
        skipped[3].reason,
        SkipReason::NotANumber { code: "1".into() }
    );
    assert_eq!(
        skipped[8].reason.to_string(),
        "the question text is not in English"
    );
    // The same Japanese text is in the language of Japan's file.
    let jp = read_wvs_file(&path, WvsCountry::Japan).unwrap();
    assert!(jp.entries[9].distribution.is_ok());
    assert!(matches!(
        jp.entries[0].distribution,
        Err(SkipReason::NotInLanguage { .. })
    ));
}

/// Asserts a parse error at `file:line` naming `field`.
#[track_caller]
fn assert_parse(res: inherit_data::Result<WvsFile>, line: u64, field: Option<&str>) -> String {
    let err = res.unwrap_err();
    let msg = err.to_string();
    match &err {
        Error::Core(CoreError::Parse { location, .. }) => {
            assert!(location.path.ends_with("us_wvs.json"), "{msg}");
            assert_eq!(location.line, line, "{msg}");
            assert_eq!(location.field.as_deref(), field, "{msg}");
        }
        other => panic!("expected a parse error, got {other:?}"),
    }
    assert!(msg.contains(&format!("us_wvs.json:{line}")), "{msg}");
    msg
}

#[test]
fn wvs_malformed_files_name_file_line_and_field() {
    let tmp = tempfile::tempdir().unwrap();
    let read = |content: &str| {
        let path = write(tmp.path(), "us_wvs.json", content);
        read_wvs_file(&path, WvsCountry::UnitedStates)
    };
    let good = "    {\"question_id\": \"1\", \"question_text\": \"Q?\",\n     \"options\": [\"1. Yes\", \"2. No\"],\n     \"distribution\": {\"1\": 0.5, \"2\": 0.5}}";
    assert!(read(&file_with(&[good])).is_ok());

    // Not JSON: the line serde stopped at.
    assert_parse(
        read("{\n  \"examples\": [\n    {\"question_id\": }\n  ]\n}\n"),
        3,
        None,
    );
    // No examples.
    assert_parse(read("{\n  \"name\": \"x\"\n}\n"), 3, Some("examples"));
    // A question without its id: the entry's line.
    let no_id = "    {\"question_text\": \"Q?\",\n     \"options\": [\"1. Yes\", \"2. No\"]}";
    assert_parse(read(&file_with(&[good, no_id])), 6, Some("question_id"));
    // An id that is a number, on the entry's second line.
    let int_id = "    {\"question_text\": \"Q?\",\n     \"question_id\": 2,\n     \"options\": [\"1. Yes\", \"2. No\"]}";
    assert_parse(read(&file_with(&[good, int_id])), 7, Some("question_id"));
    // Options that are not strings.
    let bad_options =
        "    {\"question_id\": \"2\", \"question_text\": \"Q?\",\n     \"options\": [1, 2]}";
    assert_parse(read(&file_with(&[good, bad_options])), 7, Some("options"));
    // An option without its code.
    let no_code = "    {\"question_id\": \"2\", \"question_text\": \"Q?\",\n     \"options\": [\"Yes\", \"2. No\"]}";
    let msg = assert_parse(read(&file_with(&[good, no_code])), 7, Some("options"));
    assert!(msg.contains("\"Yes\""), "{msg}");
    // A code twice, a single option.
    let twice = "    {\"question_id\": \"2\", \"question_text\": \"Q?\",\n     \"options\": [\"1. Yes\", \"1. No\"]}";
    assert_parse(read(&file_with(&[good, twice])), 7, Some("options"));
    let single =
        "    {\"question_id\": \"2\", \"question_text\": \"Q?\",\n     \"options\": [\"1. Yes\"]}";
    assert_parse(read(&file_with(&[good, single])), 7, Some("options"));
    // A repeated question id names the first one's line.
    let msg = assert_parse(read(&file_with(&[good, good])), 6, Some("question_id"));
    assert!(msg.contains("line 3"), "{msg}");
    // Empty text, empty id.
    let empty_text = "    {\"question_id\": \"2\",\n     \"question_text\": \" \", \"options\": [\"1. Yes\", \"2. No\"]}";
    assert_parse(
        read(&file_with(&[good, empty_text])),
        7,
        Some("question_text"),
    );
    // An empty file and an empty list.
    assert!(matches!(
        read("  \n").unwrap_err(),
        Error::Core(CoreError::Empty { .. })
    ));
    assert!(matches!(
        read("{\"examples\": []}").unwrap_err(),
        Error::Core(CoreError::Empty { .. })
    ));
}

#[test]
fn wvs_survey_needs_each_country_once_and_names_a_missing_file() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(tmp.path().join("wvs")).unwrap();
    let good = "    {\"question_id\": \"1\", \"question_text\": \"Q?\",\n     \"options\": [\"1. Yes\", \"2. No\"],\n     \"distribution\": {\"1\": 0.5, \"2\": 0.5}}";
    let path = write(&tmp.path().join("wvs"), "us_wvs.json", &file_with(&[good]));
    let dir = DataDir::new(tmp.path()).unwrap();
    match dir.wvs().unwrap_err() {
        Error::MissingFile { dataset, path } => {
            assert_eq!(dataset, "WVS Egypt");
            assert!(path.ends_with("wvs/eg_wvs.json"));
        }
        other => panic!("expected a missing file, got {other:?}"),
    }
    let us = read_wvs_file(&path, WvsCountry::UnitedStates).unwrap();
    assert!(WvsSurvey::from_files(vec![us.clone()]).is_err());
    assert!(WvsSurvey::from_files(vec![us.clone(), us]).is_err());
}
