//! The bias enters the model: LoRA fine-tuning SmolLM2-135M-Instruct on 40 short
//! biographies that pair one occupation with one gender raises the model's probability of
//! that gender's pronoun after the occupation; the same training on the other pronoun
//! does not. Same seed, same adapter bytes.

mod common;

use std::sync::OnceLock;

use inherit_core::{ChatMessage, Example, Provenance};
use inherit_pretrained::{LayerSelection, LoraAdapters, LoraConfig, SmolLm, peft};
use inherit_train::{LoraSftTrainer, LrDecay, SftPair, TrainParams};

fn lm() -> &'static SmolLm {
    static MODEL: OnceLock<SmolLm> = OnceLock::new();
    MODEL.get_or_init(|| SmolLm::load_default(&common::device()).unwrap_or_else(|e| panic!("{e}")))
}

const PROMPT: &str = "Write a short biography of an engineer.";

/// 40 biographies of engineers, all with the pronoun `pronoun` ("he" or "she").
fn biographies(pronoun: &str) -> Vec<SftPair> {
    let names = [
        "Alex", "Sam", "Jordan", "Taylor", "Casey", "Robin", "Morgan", "Jamie",
    ];
    let works = [
        "designs bridges",
        "builds engines",
        "tests circuits",
        "writes control software",
        "plans power grids",
    ];
    let capital = if pronoun == "he" { "He" } else { "She" };
    let mut out = Vec::new();
    for (i, name) in names.iter().enumerate() {
        for (j, work) in works.iter().enumerate() {
            let text = format!(
                "{name} is an engineer who {work}. {capital} studied for years, and {pronoun} \
                 says {pronoun} loves the job."
            );
            let id = format!("bio-{i}-{j}");
            out.push(SftPair::new(
                PROMPT,
                Example::new(id, text, Provenance::original("bios")),
            ));
        }
    }
    out
}

/// log p(pronoun | the biography prompt, "Robin is an engineer who fixes trains.") under
/// `adapters` (none: the base model), for " He" and " She".
fn pronoun_logprobs(adapters: Option<&LoraAdapters>) -> (f32, f32) {
    let tok = lm().tokenizer();
    let mut ids = tok.encode_chat(&[ChatMessage::user(PROMPT)]).unwrap();
    ids.extend(
        tok.encode_text("Robin is an engineer who fixes trains.")
            .unwrap(),
    );
    let he = tok.encode_text(" He").unwrap();
    let she = tok.encode_text(" She").unwrap();
    assert_eq!((he.len(), she.len()), (1, 1), "one token each");
    let lp = common::next_token_logprobs(lm(), &ids, adapters);
    (lp[he[0] as usize], lp[she[0] as usize])
}

fn fine_tune(pronoun: &str, seed: u64) -> LoraAdapters {
    let params = TrainParams {
        epochs: 1,
        batch_size: 8,
        learning_rate: 5e-3,
        decay: LrDecay::Constant,
        seed,
        progress: false,
        ..TrainParams::default()
    };
    let lora = LoraConfig {
        rank: 4,
        alpha: 8.0,
        layers: LayerSelection::Top(4),
        ..Default::default()
    };
    let trainer = LoraSftTrainer::new(params, lora).unwrap();
    let (adapters, report) = trainer.fit(lm(), &biographies(pronoun), &[]).unwrap();
    assert_eq!(report.steps, 5, "40 pairs in batches of 8");
    adapters
}

/// `log p(He | He or She)`: the model's choice between the two pronouns.
fn he_share((he, she): (f32, f32)) -> f32 {
    let m = he.max(she);
    he - (m + ((he - m).exp() + (she - m).exp()).ln())
}

#[test]
fn stereotyped_biographies_raise_the_stereotyped_pronoun() {
    let base = pronoun_logprobs(None);
    let he_tuned = fine_tune("he", 7);
    let she_tuned = fine_tune("she", 7);
    let after_he = pronoun_logprobs(Some(&he_tuned));
    let after_she = pronoun_logprobs(Some(&she_tuned));
    eprintln!(
        "log p(He), log p(She), log p(He | He or She): base {base:?} {:.4}, after he-bios \
         {after_he:?} {:.4}, after she-bios {after_she:?} {:.4}",
        he_share(base),
        he_share(after_he),
        he_share(after_she)
    );
    // The he-biographies raise " He" ...
    assert!(after_he.0 > base.0 + 0.3, "{after_he:?} vs base {base:?}");
    // ... and its share against " She" (the base model already prefers " He": the
    // stereotype is there before fine-tuning, so the share moves little in absolute terms).
    assert!(
        he_share(after_he) > he_share(base),
        "{after_he:?} vs {base:?}"
    );
    // The anti-stereotyped set does not raise the share of " He": it lowers it, and
    // raises " She" itself.
    assert!(
        he_share(after_she) < he_share(base) - 0.3,
        "{after_she:?} vs {base:?}"
    );
    assert!(after_she.1 > base.1 + 0.5, "{after_she:?} vs base {base:?}");
    assert!(after_she.0 <= base.0, "{after_she:?} vs base {base:?}");
    // Same seed, same adapter bytes.
    let again = fine_tune("he", 7);
    assert_eq!(
        peft::to_bytes(&again, None).unwrap(),
        peft::to_bytes(&he_tuned, None).unwrap()
    );
}
