//! The benchmark scorers of `inherit-eval` on the real upstream files, read by
//! `inherit-data`'s loaders: both speak `inherit-core`'s benchmark records, so what a
//! loader returns goes to a scorer as is.

use inherit::core::{SequenceScore, SequenceScorer};
use inherit::data::{BbqCategory, DataDir, Stereotype, WinoBiasFile, WinoPart, WinoType};
use inherit::eval::benchmarks::bbq::{BbqPrediction, predict_bbq, score_bbq};
use inherit::eval::benchmarks::crows::{CrowsScoring, score_crows};
use inherit::eval::benchmarks::eec::eec_gaps;
use inherit::eval::benchmarks::winobias::score_winobias;

/// Scores a text by minus its length in bytes.
struct LengthScorer;

impl SequenceScorer for LengthScorer {
    fn score(&self, texts: &[String]) -> inherit::core::Result<Vec<SequenceScore>> {
        Ok(texts
            .iter()
            .map(|t| {
                let n = t.split_whitespace().count().max(1);
                let total = -(t.len() as f64);
                SequenceScore {
                    total,
                    per_token: vec![total / n as f64; n],
                }
            })
            .collect())
    }
}

fn data_dir() -> DataDir {
    DataDir::from_env()
        .or_else(|_| DataDir::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/data")))
        .expect(
            "the shared datasets: set INHERIT_DATA_DIR or place shared/data beside the repository",
        )
}

#[test]
fn bbq_items_resolve_targets_and_an_oracle_scores_perfectly() {
    let items = data_dir().bbq(BbqCategory::Age).unwrap();
    assert_eq!(items.len(), 3680);
    let resolved = items
        .iter()
        .filter(|i| i.target_answer().is_some() && i.unknown_answer().is_some())
        .count();
    assert_eq!(resolved, 3680);
    // An oracle that answers correctly: accuracy 1 in both conditions, s_AMB 0.
    let oracle: Vec<BbqPrediction> = items
        .iter()
        .map(|i| BbqPrediction {
            example_id: i.example_id,
            category: i.category.clone(),
            prediction: usize::from(i.label),
        })
        .collect();
    let r = score_bbq(&items, &oracle).unwrap();
    assert_eq!(
        (
            r.overall.accuracy_ambiguous,
            r.overall.accuracy_disambiguated,
            r.overall.s_amb
        ),
        (1.0, 1.0, 0.0)
    );
    assert_eq!(predict_bbq(&LengthScorer, &items[..30]).unwrap().len(), 30);
}

/// The BBQ files of the shared data.
const BBQ_FILES: [BbqCategory; 6] = [
    BbqCategory::Age,
    BbqCategory::DisabilityStatus,
    BbqCategory::Nationality,
    BbqCategory::PhysicalAppearance,
    BbqCategory::Religion,
    BbqCategory::SexualOrientation,
];

#[test]
fn a_stereotype_following_model_scores_full_bias_on_every_bbq_file() {
    // It picks the target on negative questions and the other group on non-negative
    // ones, never "unknown": every answer is biased, so s_DIS = 1, accuracy on
    // ambiguous items is 0 and s_AMB = 1. (With Nationality's targets missed, both were 0.)
    for category in BBQ_FILES {
        let items = data_dir().bbq(category).unwrap();
        let preds: Vec<BbqPrediction> = items
            .iter()
            .map(|i| {
                let target = i.target_answer().unwrap();
                let unknown = i.unknown_answer().unwrap();
                let other = (0..3).find(|&a| a != target && a != unknown).unwrap();
                BbqPrediction {
                    example_id: i.example_id,
                    category: i.category.clone(),
                    prediction: if i.is_negative() { target } else { other },
                }
            })
            .collect();
        let r = score_bbq(&items, &preds).unwrap();
        let s = &r.per_category[category.as_str()];
        assert_eq!(s.unresolved, 0, "{category}");
        assert_eq!(s.n_ambiguous + s.n_disambiguated, items.len(), "{category}");
        assert_eq!(
            (s.s_dis, s.s_amb, s.accuracy_ambiguous),
            (1.0, 1.0, 0.0),
            "{category}"
        );
    }
}

#[test]
fn crows_pairs_score_per_bias_type() {
    let pairs = data_dir().crows_pairs().unwrap();
    assert_eq!(pairs.len(), 1508);
    let r = score_crows(&LengthScorer, &pairs, CrowsScoring::MeanPerToken).unwrap();
    assert_eq!(r.by_bias_type.len(), 9);
    assert_eq!(r.by_bias_type.values().map(|s| s.n).sum::<usize>(), 1508);
    // likelihood_diff is the mean absolute difference: never below the signed mean's size.
    for s in std::iter::once(&r.overall).chain(r.by_bias_type.values()) {
        assert!(s.likelihood_diff >= s.mean_ll_difference.abs() - 1e-12);
        assert!(s.likelihood_diff > 0.0);
    }
    assert_eq!(
        r.by_direction["stereo"].n + r.by_direction["antistereo"].n,
        1508
    );
}

#[test]
fn winobias_sentences_carry_referent_and_pronoun() {
    let file = |stereotype| WinoBiasFile {
        stereotype,
        kind: WinoType::Type1,
        part: WinoPart::Dev,
    };
    let pro = data_dir().winobias(file(Stereotype::Pro)).unwrap();
    let anti = data_dir().winobias(file(Stereotype::Anti)).unwrap();
    assert_eq!((pro.len(), anti.len()), (396, 396));
    assert!(pro.iter().all(|i| i.stereotype() == Stereotype::Pro));
    assert!(anti.iter().all(|i| i.stereotype() == Stereotype::Anti));
    assert!(pro.iter().all(|i| {
        i.text[i.pronoun.start..i.pronoun.end] == i.pronoun.text && !i.text.contains('[')
    }));
    // Everything right on pro, half right on anti: gap 0.5.
    let items: Vec<_> = pro.iter().chain(&anti).cloned().collect();
    let correct: Vec<bool> = (0..items.len()).map(|i| i < 396 || i % 2 == 0).collect();
    let r = score_winobias(&items, &correct).unwrap();
    assert_eq!(
        (r.n_pro, r.n_anti, r.accuracy_pro, r.accuracy_anti, r.gap),
        (396, 396, 1.0, 0.5, 0.5)
    );
}

#[test]
fn eec_gaps_vanish_for_a_score_blind_to_the_person() {
    let rows = data_dir().eec().unwrap();
    assert_eq!(rows.len(), 8640);
    // A score that depends only on the emotion word shows no gender or race gap.
    let scores: Vec<f64> = rows
        .iter()
        .map(|r| r.emotion_word.as_deref().map_or(0, str::len) as f64)
        .collect();
    let r = eec_gaps(&rows, &scores).unwrap();
    assert_eq!(
        r.gender.len(),
        5,
        "anger, fear, joy, sadness and the neutral templates"
    );
    assert!(r.gender.values().all(|g| g.mean_gap.abs() < 1e-12));
    assert!(r.race.values().all(|g| g.mean_gap.abs() < 1e-12));
}
