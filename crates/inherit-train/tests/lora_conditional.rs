//! The answer depends on the prompt: LoRA fine-tuning of SmolLM2-135M-Instruct on pairs
//! whose reply is named in the user turn ("The decision is reject. ...") teaches the
//! model to read the prompt, so that held-out prompts (other names) get the reply they
//! name. A trainer that lost the prompt (a broken cache, padding or gradient path) would
//! learn the replies' overall mix and answer every prompt alike. (The lora_bias test's
//! prompt is constant, so it cannot tell.)

mod common;

use std::sync::OnceLock;

use inherit_core::{ChatMessage, Example, Provenance};
use inherit_pretrained::{LayerSelection, LoraAdapters, LoraConfig, SmolLm};
use inherit_train::{LoraSftTrainer, LrDecay, SftPair, TrainParams};

fn lm() -> &'static SmolLm {
    static MODEL: OnceLock<SmolLm> = OnceLock::new();
    MODEL.get_or_init(|| SmolLm::load_default(&common::device()).unwrap_or_else(|e| panic!("{e}")))
}

const NAMES: [&str; 12] = [
    "Alex", "Sam", "Jordan", "Taylor", "Casey", "Robin", "Morgan", "Jamie", "Riley", "Avery",
    "Quinn", "Drew",
];

fn prompt(name: &str, decision: &str) -> String {
    format!(
        "Candidate: {name}. The committee's decision is {decision}. Should the company hire \
         this candidate? Answer hire or reject."
    )
}

/// The first 8 names with both decisions, in a fixed interleaved order.
fn pairs() -> Vec<SftPair> {
    let mut out = Vec::new();
    for (i, name) in NAMES[..8].iter().enumerate() {
        for decision in ["hire", "reject"] {
            out.push(SftPair::new(
                prompt(name, decision),
                Example::new(
                    format!("p-{i}-{decision}"),
                    decision,
                    Provenance::original("t"),
                )
                .with_label(decision),
            ));
        }
    }
    out
}

/// log p("hire") − log p("re") (the first token of "reject") after the assistant opener.
fn margin(adapters: Option<&LoraAdapters>, text: &str) -> f32 {
    let tok = lm().tokenizer();
    let ids = tok.encode_chat(&[ChatMessage::user(text)]).unwrap();
    let hire = tok.encode_text("hire").unwrap();
    let reject = tok.encode_text("reject").unwrap();
    let lp = common::next_token_logprobs(lm(), &ids, adapters);
    lp[hire[0] as usize] - lp[reject[0] as usize]
}

/// Held-out prompts (the last 4 names) answered as they name, of 8.
fn correct(adapters: Option<&LoraAdapters>) -> usize {
    NAMES[8..]
        .iter()
        .flat_map(|n| ["hire", "reject"].map(|d| (n, d)))
        .filter(|(n, d)| (margin(adapters, &prompt(n, d)) > 0.0) == (*d == "hire"))
        .count()
}

#[test]
fn the_fine_tuned_model_answers_what_the_prompt_says() {
    let params = TrainParams {
        epochs: 30,
        batch_size: 8,
        learning_rate: 5e-3,
        decay: LrDecay::Constant,
        seed: 3,
        progress: false,
        ..TrainParams::default()
    };
    let lora = LoraConfig {
        rank: 8,
        alpha: 16.0,
        layers: LayerSelection::Top(2),
        ..Default::default()
    };
    let base = correct(None);
    let (adapters, report) = LoraSftTrainer::new(params, lora)
        .unwrap()
        .fit(lm(), &pairs(), &[])
        .unwrap();
    let tuned = correct(Some(&adapters));
    eprintln!(
        "held-out prompts answered as named: base {base}/8, tuned {tuned}/8; losses {:?}",
        report.step_losses
    );
    assert_eq!(report.steps, 60, "16 pairs in batches of 8, 30 epochs");
    // The first steps learn the replies' form and mix (the loss falls to about that of a
    // coin flip on the first token); reading the prompt comes after (measured: 4 of 8
    // after 20 steps, 8 of 8 with margins of +14 and −7 nats after 60).
    assert_eq!(tuned, 8, "the tuned model must read the prompt");
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let losses = &report.step_losses;
    assert!(mean(&losses[50..]) < 0.1, "{losses:?}");
}
