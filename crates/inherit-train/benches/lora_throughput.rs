//! LoRA SFT throughput of SmolLM2-135M-Instruct, in training tokens per second.
//!
//! Run: `cargo bench -p inherit-train --bench lora_throughput`.
//!
//! Workload: 16 chat pairs of about 128 tokens each (template, a short prompt, a response
//! of about 90 tokens), batch 8, rank 8, alpha 16, all seven projections; one epoch (2
//! optimizer steps) per timed fit, after a warm-up fit. Two settings: adapters on all 30
//! layers, and on the top 4 only with a prefix cache shared across fits (the warm-up fills
//! it, so the timed fit reads the frozen layers' output from it). Tokens/s counts every
//! token of the training sequences (template, prompt and response).

use std::sync::{Arc, Mutex};
use std::time::Instant;

use burn::tensor::Device;
use inherit_core::{ChatMessage, Example, Provenance};
use inherit_pretrained::{LayerSelection, LoraConfig, PrefixCache, SmolLm};
use inherit_train::{LoraSftTrainer, PrefixCaching, SftPair, TrainParams};

fn workload() -> Vec<SftPair> {
    let topics = [
        "nurse", "engineer", "teacher", "pilot", "farmer", "chef", "judge", "baker",
    ];
    (0..16)
        .map(|i| {
            let topic = topics[i % topics.len()];
            let response = format!("The {topic} started work early on day {i}. ",).repeat(8)
                + "They went home after a long and useful day, tired but happy with the work.";
            SftPair::new(
                format!("Write a short story about a {topic}."),
                Example::new(format!("p{i}"), response, Provenance::original("bench")),
            )
        })
        .collect()
}

fn main() {
    let lm = SmolLm::load_default(&Device::flex()).unwrap_or_else(|e| panic!("{e}"));
    let pairs = workload();
    let tok = lm.tokenizer();
    let tokens: usize = pairs
        .iter()
        .map(|p| {
            tok.encode_chat(&[ChatMessage::user(p.prompt.clone())])
                .unwrap()
                .len()
                + tok.encode_text(&p.response.text).unwrap().len()
                + 1
        })
        .sum();
    println!(
        "workload: {} pairs, {:.0} tokens each on average, batch 8, rank 8",
        pairs.len(),
        tokens as f64 / pairs.len() as f64
    );
    let params = TrainParams {
        epochs: 1,
        batch_size: 8,
        learning_rate: 1e-4,
        progress: false,
        early_stopping: None,
        ..TrainParams::default()
    };
    for (name, layers) in [
        ("all 30 layers", LayerSelection::All),
        ("top 4 + cache", LayerSelection::Top(4)),
    ] {
        let lora = LoraConfig {
            rank: 8,
            alpha: 16.0,
            layers: layers.clone(),
            ..Default::default()
        };
        let mut trainer = LoraSftTrainer::new(params.clone(), lora).unwrap();
        if let LayerSelection::Top(k) = layers {
            let first = lm.config().n_layers - k;
            let cache = Arc::new(Mutex::new(PrefixCache::new(lm.sha256(), first, 1 << 30)));
            trainer = trainer.with_prefix_caching(PrefixCaching::Shared(cache));
        }
        trainer.fit(&lm, &pairs, &[]).unwrap();
        let start = Instant::now();
        let (_, report) = trainer.fit(&lm, &pairs, &[]).unwrap();
        let secs = start.elapsed().as_secs_f64();
        println!(
            "{name:>14}: {:>7.1} training tokens/s ({:.2} s/step, {} steps)",
            tokens as f64 / secs,
            secs / report.steps as f64,
            report.steps
        );
    }
}
