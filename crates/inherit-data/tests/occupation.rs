//! The built-in occupation suite: balance, scrubbing, disjointness, determinism, group
//! cues and that no single word gives the occupation away.

use std::collections::{BTreeMap, HashSet};

use inherit_core::{Axis, Origin};
use inherit_data::lexicons::default_lexicon;
use inherit_data::{Culture, Occupation, OccupationSuite, OccupationSuiteParams, scrub_titles};

fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

fn sentences(text: &str) -> Vec<String> {
    text.split_inclusive(". ")
        .map(|s| s.trim().to_owned())
        .collect()
}

fn default_suite() -> OccupationSuite {
    OccupationSuite::build(&OccupationSuiteParams::default()).unwrap()
}

#[test]
fn counts_are_balanced_by_occupation_gender_and_culture() {
    let suite = default_suite();
    // 6 occupations x 2 genders x 5 cultures x (20 train, 10 test).
    assert_eq!(suite.train.len(), 1200);
    assert_eq!(suite.test.len(), 600);
    let ids: Vec<&str> = Occupation::ALL.iter().map(|o| o.id()).collect();
    assert_eq!(suite.train.labels, ids);
    assert_eq!(suite.test.labels, ids);
    for (data, per_cell) in [(&suite.train, 20), (&suite.test, 10)] {
        let mut cells: BTreeMap<(String, String, String), usize> = BTreeMap::new();
        for e in &data.examples {
            assert_eq!(e.groups.get(&Axis::Gender).unwrap().1, Origin::Stated);
            assert_eq!(e.groups.get(&Axis::Culture).unwrap().1, Origin::Stated);
            let key = (
                e.label.clone().unwrap(),
                e.groups.value(&Axis::Gender).unwrap().to_owned(),
                e.groups.value(&Axis::Culture).unwrap().to_owned(),
            );
            *cells.entry(key).or_default() += 1;
        }
        assert_eq!(cells.len(), 6 * 2 * 5);
        assert!(cells.values().all(|&n| n == per_cell), "{cells:?}");
    }
    let small = OccupationSuite::build(&OccupationSuiteParams {
        n_train_per_cell: 3,
        n_test_per_cell: 2,
        cultures: vec![Culture::Arabic, Culture::Spanish],
        ..Default::default()
    })
    .unwrap();
    assert_eq!(
        (small.train.len(), small.test.len()),
        (6 * 2 * 2 * 3, 6 * 2 * 2 * 2)
    );
}

#[test]
fn no_title_word_is_left() {
    let suite = default_suite();
    let titles: HashSet<&str> = Occupation::ALL
        .iter()
        .flat_map(|o| o.title_words())
        .copied()
        .filter(|w| !w.contains(' '))
        .collect();
    for e in suite.train.examples.iter().chain(&suite.test.examples) {
        let ws = words(&e.text);
        for w in &ws {
            assert!(!titles.contains(w.as_str()), "title `{w}` in {:?}", e.text);
        }
        assert!(
            !ws.windows(2)
                .any(|p| p[0] == "software" && p[1] == "engineer")
        );
        assert!(!e.text.contains('{'), "unfilled slot in {:?}", e.text);
        assert_eq!(scrub_titles(&e.text), e.text);
    }
}

#[test]
fn train_and_test_share_no_sentence_and_texts_are_distinct() {
    let suite = default_suite();
    let train_sentences: HashSet<String> = suite
        .train
        .examples
        .iter()
        .flat_map(|e| sentences(&e.text))
        .collect();
    for e in &suite.test.examples {
        for s in sentences(&e.text) {
            assert!(
                !train_sentences.contains(&s),
                "test sentence also in train: {s:?}"
            );
        }
    }
    let texts: HashSet<&str> = suite
        .train
        .examples
        .iter()
        .chain(&suite.test.examples)
        .map(|e| e.text.as_str())
        .collect();
    assert_eq!(texts.len(), 1800);
    let ids: HashSet<&str> = suite
        .train
        .examples
        .iter()
        .chain(&suite.test.examples)
        .map(|e| e.id.as_str())
        .collect();
    assert_eq!(ids.len(), 1800);
}

#[test]
fn same_seed_same_suite_different_seed_different_suite() {
    let p = OccupationSuiteParams {
        n_train_per_cell: 4,
        n_test_per_cell: 2,
        seed: 7,
        ..Default::default()
    };
    let a = OccupationSuite::build(&p).unwrap();
    let b = OccupationSuite::build(&p).unwrap();
    assert_eq!(a, b);
    let c = OccupationSuite::build(&OccupationSuiteParams {
        seed: 8,
        ..p.clone()
    })
    .unwrap();
    assert_ne!(a.train.examples, c.train.examples);
    assert_ne!(a.test.examples, c.test.examples);
}

#[test]
fn the_default_lexicon_finds_the_stated_gender_and_culture() {
    // Names, pronouns and culture cues must agree with the stated groups, and nothing
    // else in the templates may signal a group.
    let suite = default_suite();
    let lexicon = default_lexicon();
    for e in suite.train.examples.iter().chain(&suite.test.examples) {
        let inferred = lexicon.infer(&e.text);
        for axis in [Axis::Gender, Axis::Culture] {
            assert_eq!(
                inferred.get_origin(&axis, Origin::Inferred),
                e.groups.value(&axis),
                "{axis} of {:?}",
                e.text
            );
        }
        let counts = lexicon.group_counts(&e.text);
        assert_eq!(
            counts[&Axis::Gender].len(),
            1,
            "mixed gender cues in {:?}",
            e.text
        );
        assert_eq!(
            counts[&Axis::Culture].len(),
            1,
            "mixed culture cues in {:?}",
            e.text
        );
    }
}

#[test]
fn no_single_word_gives_an_occupation_away() {
    // For each occupation and word: the share of the occupation's texts holding the word
    // and the share of the other occupations' texts. A naive template set
    // ("X is a nurse who cares for patients") fails this: after scrubbing, "patients" (or
    // "cares") sits in every nurse text and in almost no other.
    let suite = default_suite();
    let data = &suite.train;
    let mut per_occ: BTreeMap<&str, Vec<HashSet<String>>> = BTreeMap::new();
    for e in &data.examples {
        per_occ
            .entry(e.label.as_deref().unwrap())
            .or_default()
            .push(words(&e.text).into_iter().collect());
    }
    let share = |sets: &[HashSet<String>], w: &str| {
        sets.iter().filter(|s| s.contains(w)).count() as f64 / sets.len() as f64
    };
    for (occ, sets) in &per_occ {
        let vocab: HashSet<&String> = sets.iter().flatten().collect();
        let others: Vec<HashSet<String>> = per_occ
            .iter()
            .filter(|(o, _)| o != &occ)
            .flat_map(|(_, s)| s.iter().cloned())
            .collect();
        let mut best = (0.0, String::new());
        for w in vocab {
            let own = share(sets, w);
            let other = share(&others, w);
            assert!(
                !(own > 0.9 && other < 0.05),
                "`{w}` is in {:.0}% of {occ} texts and {:.1}% of others",
                own * 100.0,
                other * 100.0
            );
            if other < 0.05 && own > best.0 {
                best = (own, w.clone());
            }
        }
        // The most telling single word still misses a good part of the occupation.
        assert!(
            best.0 < 0.6,
            "{occ}: `{}` in {:.0}%",
            best.1,
            best.0 * 100.0
        );
    }
}

#[test]
fn invalid_parameters_are_rejected() {
    let bad = [
        OccupationSuiteParams {
            n_train_per_cell: 0,
            ..Default::default()
        },
        OccupationSuiteParams {
            n_test_per_cell: 2001,
            ..Default::default()
        },
        OccupationSuiteParams {
            cultures: vec![],
            ..Default::default()
        },
        OccupationSuiteParams {
            cultures: vec![Culture::Anglo, Culture::Anglo],
            ..Default::default()
        },
        OccupationSuiteParams {
            crossover_rate: 1.5,
            ..Default::default()
        },
    ];
    for p in bad {
        let err = OccupationSuite::build(&p).unwrap_err();
        assert!(
            matches!(
                err,
                inherit_data::Error::Core(inherit_core::Error::InvalidParam { .. })
            ),
            "{err}"
        );
    }
}

#[test]
fn the_suite_round_trips_through_jsonl() {
    let suite = OccupationSuite::build(&OccupationSuiteParams {
        n_train_per_cell: 2,
        n_test_per_cell: 1,
        ..Default::default()
    })
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("occupation-train.jsonl");
    suite.train.write_jsonl(&path).unwrap();
    let back = inherit_core::Dataset::read_jsonl(&path).unwrap();
    assert_eq!(back.examples, suite.train.examples);
    assert_eq!(back.labels, suite.train.labels);
}
