//! The benchmark scorers of `inherit-eval` on the real upstream files, read by
//! `inherit-data`'s loaders through the conversions of the `analyze` example.

#[path = "../examples/analyze/benchmarks.rs"]
mod benchmarks;

use inherit::core::{SequenceScore, SequenceScorer};
use inherit::data::{BbqCategory, DataDir, Stereotype, WinoBiasFile, WinoPart, WinoType};
use inherit::eval::benchmarks::bbq::{BbqPrediction, predict_bbq, score_bbq};
use inherit::eval::benchmarks::crows::{CrowsScoring, score_crows};
use inherit::eval::benchmarks::eec::eec_gaps;
use inherit::eval::benchmarks::winobias::{self, score_winobias};

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
    let items = benchmarks::bbq_items(&data_dir(), BbqCategory::Age).unwrap();
    assert_eq!(items.len(), 3680);
    let resolved = items
        .iter()
        .filter(|i| i.target_index().is_some() && i.unknown_index().is_some())
        .count();
    assert!(
        resolved as f64 > 0.95 * items.len() as f64,
        "targets identified for {resolved} of {}",
        items.len()
    );
    // An oracle that answers correctly: accuracy 1 in both conditions, s_AMB 0.
    let oracle: Vec<BbqPrediction> = items
        .iter()
        .map(|i| BbqPrediction {
            example_id: i.example_id,
            category: i.category.clone(),
            prediction: i.label,
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

#[test]
fn crows_pairs_score_per_bias_type() {
    let pairs = benchmarks::crows_pairs(&data_dir()).unwrap();
    assert_eq!(pairs.len(), 1508);
    let r = score_crows(&LengthScorer, &pairs, CrowsScoring::MeanPerToken).unwrap();
    assert_eq!(r.by_bias_type.len(), 9);
    assert_eq!(r.by_bias_type.values().map(|s| s.n).sum::<usize>(), 1508);
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
    let pro = benchmarks::winobias_items(&data_dir(), file(Stereotype::Pro)).unwrap();
    let anti = benchmarks::winobias_items(&data_dir(), file(Stereotype::Anti)).unwrap();
    assert_eq!((pro.len(), anti.len()), (396, 396));
    assert!(
        pro.iter()
            .all(|i| i.stereotype == winobias::Stereotype::Pro)
    );
    assert!(
        anti.iter()
            .all(|i| i.stereotype == winobias::Stereotype::Anti)
    );
    assert!(
        pro.iter()
            .all(|i| i.sentence.contains(&i.pronoun) && !i.sentence.contains('['))
    );
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
    let rows = benchmarks::eec_rows(&data_dir()).unwrap();
    assert_eq!(rows.len(), 8640);
    // A score that depends only on the emotion word shows no gender or race gap.
    let scores: Vec<f64> = rows.iter().map(|r| r.emotion_word.len() as f64).collect();
    let r = eec_gaps(&rows, &scores).unwrap();
    assert_eq!(
        r.gender.len(),
        5,
        "anger, fear, joy, sadness and the neutral templates"
    );
    assert!(r.gender.values().all(|g| g.mean_gap.abs() < 1e-12));
    assert!(r.race.values().all(|g| g.mean_gap.abs() < 1e-12));
}
