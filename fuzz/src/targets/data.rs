//! Every dataset loader of inherit-data, and the dataset builders over what they read.

use inherit_data::winobias::read_word_list;
use inherit_data::{
    BoldDomain, WinoBiasFile, bold_dataset, eec_dataset, lexicons, read_bbq, read_bias_in_bios,
    read_bold, read_crows_pairs, read_eec, read_holistic_descriptors, read_madlibs, read_sst2,
    read_winobias, winobias_dataset,
};

use crate::driver::{Case, Verdict};
use crate::seeds::{data_dir, file, head_lines, header_and_lines, workspace};

fn verdict<T, E>(r: Result<T, E>) -> Verdict {
    if r.is_ok() {
        Verdict::Accepted
    } else {
        Verdict::Rejected
    }
}

/// Column and field names of the datasets.
pub const DATA_DICT: &[&[u8]] = &[
    b"example_id",
    b"question_index",
    b"question_polarity",
    b"neg",
    b"nonneg",
    b"context_condition",
    b"ambig",
    b"disambig",
    b"category",
    b"answer_info",
    b"additional_metadata",
    b"stereotyped_groups",
    b"label",
    b"ans0",
    b"sent_more",
    b"sent_less",
    b"stereo_antistereo",
    b"antistereo",
    b"bias_type",
    b"annotations",
    b"anon_writer",
    b"Sentence",
    b"Template",
    b"Person",
    b"Gender",
    b"Race",
    b"Emotion",
    b"Emotion word",
    b"sentence",
    b"descriptor",
    b"preference",
    b"hard_text",
    b"profession",
    b"gender",
    b"toxicity",
    b"[",
    b"]",
    b"[he]",
    b"[his]",
    b"[The developer]",
    b"'race-color'",
    b"female",
    b"male",
    b"NaN",
];

/// BBQ JSON lines: the first lines of every category file.
pub fn bbq_seeds() -> Vec<Vec<u8>> {
    [
        "Age",
        "Disability_status",
        "Nationality",
        "Religion",
        "Sexual_orientation",
        "Physical_appearance",
    ]
    .iter()
    .filter_map(|c| head_lines(&data_dir().join(format!("bbq/{c}.jsonl")), 3))
    .collect()
}

/// BBQ.
pub fn bbq(case: &Case<'_>) -> Verdict {
    verdict(read_bbq(&case.write("Age.jsonl")))
}

/// BOLD: a few people of a few groups of each real file, re-serialised.
pub fn bold_seeds() -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for name in ["gender_prompt", "race_wiki", "profession_prompt"] {
        let Some(bytes) = file(&data_dir().join(format!("bold/{name}.json"))) else {
            continue;
        };
        let Ok(serde_json::Value::Object(groups)) = serde_json::from_slice(&bytes) else {
            continue;
        };
        let small: serde_json::Map<String, serde_json::Value> = groups
            .into_iter()
            .take(2)
            .map(|(g, people)| {
                let people = match people {
                    serde_json::Value::Object(p) => {
                        serde_json::Value::Object(p.into_iter().take(3).collect())
                    }
                    other => other,
                };
                (g, people)
            })
            .collect();
        out.push(serde_json::to_vec(&small).expect("serialisable"));
    }
    out.push(br#"{"American_actors": {"Jo_Doe": ["Jo Doe is an ", "another"]}}"#.to_vec());
    out
}

/// BOLD, read as each domain, and the dataset built from it.
pub fn bold(case: &Case<'_>) -> Verdict {
    let path = case.write("gender_prompt.json");
    let mut any = false;
    for domain in [BoldDomain::Gender, BoldDomain::Race, BoldDomain::Profession] {
        if let Ok(records) = read_bold(&path, domain) {
            let _ = bold_dataset(&records, "fuzz");
            any = true;
        }
    }
    if any {
        Verdict::Accepted
    } else {
        Verdict::Rejected
    }
}

/// CrowS-Pairs CSV.
pub fn crows_seeds() -> Vec<Vec<u8>> {
    let p = data_dir().join("crows_pairs/crows_pairs_anonymized.csv");
    [0, 200, 1000]
        .iter()
        .filter_map(|&from| header_and_lines(&p, from, 4))
        .collect()
}

/// CrowS-Pairs.
pub fn crows(case: &Case<'_>) -> Verdict {
    verdict(read_crows_pairs(&case.write("crows_pairs_anonymized.csv")))
}

/// EEC CSV.
pub fn eec_seeds() -> Vec<Vec<u8>> {
    let p = data_dir().join("eec/Equity-Evaluation-Corpus.csv");
    [0, 3000, 8000]
        .iter()
        .filter_map(|&from| header_and_lines(&p, from, 5))
        .collect()
}

/// EEC, and its dataset.
pub fn eec(case: &Case<'_>) -> Verdict {
    match read_eec(&case.write("Equity-Evaluation-Corpus.csv")) {
        Ok(rows) => {
            let _ = eec_dataset(&rows, "fuzz");
            Verdict::Accepted
        }
        Err(_) => Verdict::Rejected,
    }
}

/// HolisticBias descriptors JSON (the real file is 23 KB: whole, and cut down to two
/// axes).
pub fn holistic_seeds() -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    if let Some(bytes) = file(&data_dir().join("holistic_bias/descriptors.json")) {
        if let Ok(serde_json::Value::Object(axes)) = serde_json::from_slice(&bytes) {
            let small: serde_json::Map<_, _> = axes.into_iter().take(2).collect();
            out.push(serde_json::to_vec_pretty(&small).expect("serialisable"));
        }
        out.push(bytes);
    }
    out.push(br#"{"ability": {"auditory": [{"descriptor": "Deaf", "preference": "reviewed"}, "hard-of-hearing"]}}"#.to_vec());
    out
}

/// HolisticBias descriptors, and the lexicon built from them.
pub fn holistic(case: &Case<'_>) -> Verdict {
    match read_holistic_descriptors(&case.write("descriptors.json")) {
        Ok(d) => {
            let _ = lexicons::descriptor_lexicon(&d);
            Verdict::Accepted
        }
        Err(_) => Verdict::Rejected,
    }
}

/// Identity-term madlibs CSV.
pub fn madlibs_seeds() -> Vec<Vec<u8>> {
    let p = data_dir().join("identity_madlibs/bias_madlibs_77k.csv");
    [0, 40_000]
        .iter()
        .filter_map(|&from| header_and_lines(&p, from, 6))
        .collect()
}

/// Madlibs.
pub fn madlibs(case: &Case<'_>) -> Verdict {
    verdict(read_madlibs(&case.write("bias_madlibs_77k.csv")))
}

/// SST-2 TSV.
pub fn sst2_seeds() -> Vec<Vec<u8>> {
    ["sst2/dev.tsv", "sst2/train.tsv"]
        .iter()
        .filter_map(|p| head_lines(&data_dir().join(p), 8))
        .collect()
}

/// SST-2.
pub fn sst2(case: &Case<'_>) -> Verdict {
    verdict(read_sst2(&case.write("dev.tsv")))
}

/// WinoBias sentence files.
pub fn winobias_seeds() -> Vec<Vec<u8>> {
    WinoBiasFile::all()
        .iter()
        .step_by(3)
        .filter_map(|f| head_lines(&data_dir().join(f.relative_path()), 4))
        .collect()
}

/// WinoBias, read as every file kind, and the dataset built from it.
pub fn winobias(case: &Case<'_>) -> Verdict {
    let path = case.write("pro_stereotyped_type1.txt.dev");
    let mut any = false;
    for f in WinoBiasFile::all() {
        if let Ok(s) = read_winobias(&path, f) {
            let _ = winobias_dataset(&s);
            any = true;
        }
    }
    if any {
        Verdict::Accepted
    } else {
        Verdict::Rejected
    }
}

/// WinoBias word lists and gender-pair files.
pub fn word_list_seeds() -> Vec<Vec<u8>> {
    [
        "male_occupations.txt",
        "female_occupations.txt",
        "generalized_swaps.txt",
        "extra_gendered_words.txt",
    ]
    .iter()
    .filter_map(|f| file(&data_dir().join("winobias").join(f)))
    .collect()
}

/// A word list, and the same file as gender pairs.
pub fn word_lists(case: &Case<'_>) -> Verdict {
    let path = case.write("generalized_swaps.txt");
    let a = read_word_list(&path);
    let b = lexicons::read_gender_pairs(&path);
    if let Ok(lexicon) = &b {
        let _ = lexicon.infer("She said he was a waiter, not a waitress.");
    }
    if a.is_ok() || b.is_ok() {
        Verdict::Accepted
    } else {
        Verdict::Rejected
    }
}

/// Bias in Bios: the JSON-lines and CSV fixtures.
pub fn bios_seeds() -> Vec<Vec<u8>> {
    let fixtures = workspace().join("crates/inherit-data/tests/fixtures");
    ["bios_labhc.jsonl", "bios_named.csv"]
        .iter()
        .filter_map(|f| head_lines(&fixtures.join(f), 8))
        .collect()
}

/// Bias in Bios, read as JSON lines, CSV and TSV.
pub fn bios(case: &Case<'_>) -> Verdict {
    let mut any = false;
    for name in ["bios.jsonl", "bios.csv", "bios.tsv"] {
        any |= read_bias_in_bios(&case.write(name)).is_ok();
    }
    if any {
        Verdict::Accepted
    } else {
        Verdict::Rejected
    }
}
