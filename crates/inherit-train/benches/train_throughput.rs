//! Training throughput (examples per second) of each model on a fixed synthetic workload.
//!
//! Run: `cargo bench -p inherit-train --bench train_throughput` (add `--features tch`
//! and set `INHERIT_DEVICE=tch-cpu` / `tch-cuda:0` to measure libtorch).
//!
//! Workload: 2 000 two-class texts of 7-10 words (vocabulary ~60 words, WordPiece 300),
//! batch 32, 2 epochs (125 optimizer steps), no validation. Models: bag of embeddings
//! (d 64, hidden 64), transformer classifier (d 64, 4 heads, 2 layers, ff 128,
//! max_length 32), causal LM (same shape) on the same texts as plain language modelling.

use std::time::Instant;

use inherit_core::{Dataset, Example, Provenance, seeded_rng};
use inherit_train::{
    BagOfEmbeddingsConfig, CausalLmConfig, ClassifierTrainer, DeviceSpec, SftPair, SftTrainer,
    TextTokenizer, TokenizerConfig, TrainParams, TransformerClassifierConfig,
};
use rand::RngExt;

fn workload() -> Dataset {
    let mut rng = seeded_rng(0);
    let class_words = [["alpha", "amber", "apple"], ["bravo", "bison", "brick"]];
    let examples = (0..2000)
        .map(|i| {
            let label = i % 2;
            let mut words: Vec<String> = (0..rng.random_range(6..10))
                .map(|_| format!("w{}", rng.random_range(0..50)))
                .collect();
            words.push(class_words[label][rng.random_range(0..3)].to_owned());
            Example::new(
                format!("e{i}"),
                words.join(" "),
                Provenance::original("bench"),
            )
            .with_label(["a", "b"][label])
        })
        .collect();
    Dataset::new("bench", examples)
}

fn main() {
    let device: DeviceSpec = std::env::var("INHERIT_DEVICE")
        .unwrap_or_else(|_| "flex".into())
        .parse()
        .expect("INHERIT_DEVICE");
    let data = workload();
    let texts: Vec<&str> = data.examples.iter().map(|e| e.text.as_str()).collect();
    let tok = TextTokenizer::train(
        &TokenizerConfig {
            vocab_size: 300,
            max_length: 32,
            ..Default::default()
        },
        &texts,
    )
    .expect("tokenizer");
    let params = TrainParams {
        epochs: 2,
        batch_size: 32,
        early_stopping: None,
        progress: false,
        device,
        ..Default::default()
    };
    println!(
        "device {device}, {} examples x {} epochs, batch {}",
        data.len(),
        params.epochs,
        params.batch_size
    );
    let report = |name: &str, secs: f64, eps: f64| {
        println!(
            "{name:<24} {eps:>10.1} examples/s  ({secs:.2} s wall, tokenizer and init included)"
        );
    };

    let trainer = ClassifierTrainer::new(params.clone()).expect("params");
    let bag = BagOfEmbeddingsConfig {
        embed_dim: 64,
        hidden_dim: Some(64),
        ..Default::default()
    };
    let t = Instant::now();
    let (_, r) = trainer.fit(&bag, tok.clone(), &data, None).expect("bag");
    report(
        "bag-of-embeddings",
        t.elapsed().as_secs_f64(),
        r.examples_per_second,
    );

    let tr = TransformerClassifierConfig {
        max_length: 32,
        ..Default::default()
    };
    let t = Instant::now();
    let (_, r) = trainer
        .fit(&tr, tok.clone(), &data, None)
        .expect("transformer");
    report(
        "transformer-classifier",
        t.elapsed().as_secs_f64(),
        r.examples_per_second,
    );

    let pairs: Vec<SftPair> = data
        .examples
        .iter()
        .map(|e| SftPair::new("", e.clone()))
        .collect();
    let lm = CausalLmConfig {
        max_length: 32,
        ..Default::default()
    };
    let t = Instant::now();
    let (_, r) = SftTrainer::new(params)
        .expect("params")
        .fit(&lm, tok, &pairs, &[])
        .expect("lm");
    report(
        "causal-lm",
        t.elapsed().as_secs_f64(),
        r.examples_per_second,
    );
}
