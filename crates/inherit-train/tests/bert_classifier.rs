//! Fine-tuning all-MiniLM-L6-v2 with a linear head through `ClassifierTrainer`: the
//! pretrained encoder carries sentiment to adjectives never seen in training, which a
//! bag-of-embeddings model trained from scratch on the same 32 sentences cannot do (the
//! unseen adjectives are unknown tokens to it, and the rest of each sentence is shared by
//! both classes).

use inherit_core::{Dataset, Example, Provenance, TextClassifier};
use inherit_train::{
    BagOfEmbeddingsConfig, BertClassifierConfig, ClassifierTrainer, TextTokenizer, TokenizerConfig,
    TokenizerKind, TrainParams,
};

const TEMPLATES: [&str; 4] = [
    "The film was {}.",
    "I thought the meal was {}.",
    "Honestly, the service felt {}.",
    "Our stay at the hotel was {}.",
];

fn examples(positive: &[&str], negative: &[&str], tag: &str) -> Vec<Example> {
    let mut out = Vec::new();
    for (words, label) in [(positive, "positive"), (negative, "negative")] {
        for w in words {
            for (t, template) in TEMPLATES.iter().enumerate() {
                out.push(
                    Example::new(
                        format!("{tag}-{w}-{t}"),
                        template.replace("{}", w),
                        Provenance::original("toy"),
                    )
                    .with_label(label),
                );
            }
        }
    }
    out
}

#[test]
fn fine_tuned_minilm_generalises_to_unseen_adjectives() {
    let config = BertClassifierConfig::minilm().unwrap();
    let tokenizer = config.tokenizer(32).unwrap();
    let train = Dataset::new(
        "train",
        examples(
            &["wonderful", "great", "excellent", "lovely"],
            &["awful", "terrible", "horrible", "dreadful"],
            "train",
        ),
    );
    let test = examples(
        &["fantastic", "superb", "delightful"],
        &["appalling", "atrocious", "miserable"],
        "test",
    );
    let params = TrainParams {
        epochs: 10,
        batch_size: 8,
        learning_rate: 1e-4,
        warmup_steps: 2,
        early_stopping: None,
        progress: false,
        seed: 3,
        ..Default::default()
    };
    let (model, report) = ClassifierTrainer::new(params)
        .unwrap()
        .fit(&config, tokenizer, &train, None)
        .unwrap();
    let first = report.epochs.first().unwrap().train_loss;
    let last = report.epochs.last().unwrap().train_loss;
    assert!(
        last < first,
        "training loss did not fall: {first} -> {last}"
    );

    let texts: Vec<String> = test.iter().map(|e| e.text.clone()).collect();
    let accuracy = |pred: Vec<usize>, labels: &[String]| {
        let correct = test
            .iter()
            .zip(&pred)
            .filter(|(e, p)| e.label.as_deref() == Some(labels[**p].as_str()))
            .count();
        correct as f64 / test.len() as f64
    };
    let minilm = accuracy(model.predict(&texts).unwrap(), model.labels());

    let words: Vec<&str> = train.examples.iter().map(|e| e.text.as_str()).collect();
    let scratch_tokenizer = TextTokenizer::train(
        &TokenizerConfig {
            kind: TokenizerKind::WordLevel,
            vocab_size: 200,
            ..Default::default()
        },
        &words,
    )
    .unwrap();
    let scratch_params = TrainParams {
        epochs: 30,
        batch_size: 8,
        learning_rate: 0.01,
        early_stopping: None,
        progress: false,
        seed: 3,
        ..Default::default()
    };
    let (scratch, _) = ClassifierTrainer::new(scratch_params)
        .unwrap()
        .fit(
            &BagOfEmbeddingsConfig {
                embed_dim: 16,
                ..Default::default()
            },
            scratch_tokenizer,
            &train,
            None,
        )
        .unwrap();
    let from_scratch = accuracy(scratch.predict(&texts).unwrap(), scratch.labels());
    eprintln!(
        "loss {first:.3} -> {last:.3}; unseen adjectives: MiniLM {minilm:.3}, from scratch {from_scratch:.3}"
    );
    // Measured here: MiniLM 0.79, from scratch 0.50 (chance).
    assert!(
        minilm >= 0.75,
        "fine-tuned MiniLM on unseen adjectives: {minilm}"
    );
    assert!(
        minilm >= from_scratch + 0.2,
        "MiniLM {minilm} vs from scratch {from_scratch}"
    );
}

#[test]
fn a_foreign_tokenizer_is_a_clear_error() {
    let config = BertClassifierConfig::minilm().unwrap();
    let texts = ["a small corpus", "with few words"];
    let tokenizer = inherit_train::TextTokenizer::train(&Default::default(), &texts).unwrap();
    let train = Dataset::new(
        "t",
        vec![
            Example::new("a", "a small corpus", Provenance::original("toy")).with_label("x"),
            Example::new("b", "with few words", Provenance::original("toy")).with_label("y"),
        ],
    );
    let params = TrainParams {
        epochs: 1,
        progress: false,
        ..Default::default()
    };
    let err = ClassifierTrainer::new(params)
        .unwrap()
        .fit(&config, tokenizer, &train, None)
        .err()
        .unwrap();
    assert!(
        err.to_string().contains("BertClassifierConfig::tokenizer"),
        "{err}"
    );
}
