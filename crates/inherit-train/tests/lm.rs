//! Causal LM: learning below the unigram entropy, SFT on responses, scoring, generation,
//! checkpoints.

mod common;

use std::collections::HashMap;

use common::quiet;
use inherit_core::{
    Example, GenerationParams, Prompt, Provenance, SequenceScorer, TextGenerator, seeded_rng,
};
use inherit_train::{
    CausalLm, CausalLmConfig, SftPair, SftTrainer, TextTokenizer, TokenizerConfig, TrainParams,
    TrainedLm,
};
use rand::RngExt;

const SUBJECTS: [&str; 5] = ["nurse", "doctor", "teacher", "pilot", "chef"];
const VERBS: [&str; 5] = ["helped", "called", "met", "saw", "thanked"];
const OBJECTS: [&str; 5] = ["patient", "student", "child", "driver", "farmer"];

/// Sentences `S V the O .` with uniform S, V, O: per-token conditional entropy is
/// (3 ln 5) / 6 nats over the 6 targets (S V the O . [SEP]), far below the unigram one.
fn corpus(n: usize, seed: u64) -> Vec<SftPair> {
    let mut rng = seeded_rng(seed);
    (0..n)
        .map(|i| {
            let s = SUBJECTS[rng.random_range(0..5)];
            let v = VERBS[rng.random_range(0..5)];
            let o = OBJECTS[rng.random_range(0..5)];
            SftPair::new(
                "",
                Example::new(
                    format!("s{i}"),
                    format!("{s} {v} the {o} ."),
                    Provenance::original("toy"),
                ),
            )
        })
        .collect()
}

fn tokenizer(pairs: &[SftPair]) -> TextTokenizer {
    let texts: Vec<String> = pairs
        .iter()
        .map(|p| format!("{} {}", p.prompt, p.response.text))
        .collect();
    let cfg = TokenizerConfig {
        vocab_size: 120,
        max_length: 16,
        ..Default::default()
    };
    TextTokenizer::train(&cfg, &texts).unwrap()
}

fn lm_config() -> CausalLmConfig {
    CausalLmConfig {
        d_model: 32,
        heads: 2,
        layers: 1,
        d_ff: 64,
        max_length: 16,
        dropout: 0.0,
    }
}

/// Unigram entropy (nats) of the training targets: every text token and `[SEP]`.
fn unigram_entropy(tok: &TextTokenizer, pairs: &[SftPair]) -> f64 {
    let mut counts: HashMap<u32, f64> = HashMap::new();
    for p in pairs {
        for id in tok.encode(&p.response.text).unwrap() {
            *counts.entry(id).or_default() += 1.0;
        }
        *counts.entry(tok.special_ids().sep).or_default() += 1.0;
    }
    let total: f64 = counts.values().sum();
    -counts
        .values()
        .map(|c| c / total * (c / total).ln())
        .sum::<f64>()
}

#[test]
fn causal_lm_beats_the_unigram_entropy_and_round_trips() {
    let train = corpus(400, 1);
    let val = corpus(100, 2);
    let tok = tokenizer(&train);
    let h_unigram = unigram_entropy(&tok, &train);
    let params = quiet(TrainParams {
        epochs: 8,
        batch_size: 32,
        learning_rate: 5e-3,
        warmup_steps: 5,
        seed: 2,
        ..Default::default()
    });
    let (lm, report) = SftTrainer::new(params)
        .unwrap()
        .fit(&lm_config(), tok, &train, &val)
        .unwrap();
    let val_loss = report.epochs[report.best_epoch - 1]
        .validation
        .unwrap()
        .loss;
    // (3 ln 5) / 6 = 0.805 nats is the best reachable loss.
    eprintln!("unigram entropy {h_unigram:.3} nats, validation loss {val_loss:.3}");
    assert!(
        val_loss < h_unigram,
        "validation loss {val_loss} vs unigram entropy {h_unigram}"
    );
    assert!(val_loss < 0.805 + 0.25, "{val_loss}");

    // Scoring prefers a grammatical sentence to a shuffled one.
    let scores = lm
        .score(&[
            "nurse helped the child .".into(),
            "the . child helped nurse".into(),
        ])
        .unwrap();
    assert_eq!(scores[0].per_token.len(), 5);
    assert!(scores[0].total > scores[1].total, "{scores:?}");

    // Greedy generation after a subject and verb continues with `the`.
    let out = lm
        .generate(
            &[Prompt::Raw("pilot met".into())],
            &GenerationParams::greedy(3),
        )
        .unwrap();
    assert!(out[0].starts_with("the "), "{out:?}");
    // Seeded sampling: same seed, same text; stop strings cut the output.
    let p = GenerationParams {
        max_tokens: 6,
        temperature: 1.0,
        seed: 9,
        ..Default::default()
    };
    let prompts = [Prompt::Raw("chef".into()), Prompt::Raw("teacher".into())];
    assert_eq!(
        lm.generate(&prompts, &p).unwrap(),
        lm.generate(&prompts, &p).unwrap()
    );
    let stop = GenerationParams {
        stop: vec!["the".into()],
        ..GenerationParams::greedy(6)
    };
    assert!(
        !lm.generate(&[Prompt::Raw("doctor saw".into())], &stop)
            .unwrap()[0]
            .contains("the")
    );

    let dir = tempfile::tempdir().unwrap();
    lm.save(dir.path().join("lm")).unwrap();
    let back =
        TrainedLm::<CausalLm>::load(dir.path().join("lm"), &burn::tensor::Device::flex()).unwrap();
    assert_eq!(
        back.score(&["nurse helped the child .".into()]).unwrap()[0],
        scores[0]
    );
}

#[test]
fn sft_learns_responses_not_prompts() {
    // Prompt "role of X ?" -> response "X work" with a fixed work per role.
    let works = [("nurse", "care"), ("pilot", "flight"), ("chef", "food")];
    let pairs: Vec<SftPair> = (0..150)
        .map(|i| {
            let (role, work) = works[i % 3];
            SftPair::new(
                format!("role of {role} ?"),
                Example::new(format!("r{i}"), work, Provenance::original("sft")),
            )
        })
        .collect();
    let tok = tokenizer(&pairs);
    let params = quiet(TrainParams {
        epochs: 10,
        batch_size: 16,
        learning_rate: 5e-3,
        seed: 1,
        ..Default::default()
    });
    let (lm, report) = SftTrainer::new(params)
        .unwrap()
        .fit(&lm_config(), tok, &pairs, &pairs[..30])
        .unwrap();
    let last = report.epochs.last().unwrap().validation.unwrap();
    assert!(last.accuracy > 0.95, "{:?}", report.epochs);
    for (role, work) in works {
        let out = lm
            .generate(
                &[Prompt::Raw(format!("role of {role} ?"))],
                &GenerationParams::greedy(4),
            )
            .unwrap();
        assert_eq!(out[0].trim(), work, "prompt for {role}");
    }
    // Prompt tokens carry no loss: `of` always follows `role` in the prompts, yet the
    // model was never trained to predict it (its output only ever received negative
    // gradient), while the response token after the prompt is near certain.
    let s = lm.score(&["role of nurse ? care".into()]).unwrap();
    let (p_of, p_care) = (s[0].per_token[1].exp(), s[0].per_token[4].exp());
    assert!(
        p_of < 0.1 && p_care > 0.9,
        "p(of|role) {p_of}, p(care|prompt) {p_care}"
    );
    assert!(last.loss < 0.2, "{last:?}");
}
