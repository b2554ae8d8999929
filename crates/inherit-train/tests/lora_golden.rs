//! LoRA SFT of SmolLM2 against PyTorch + PEFT: `tests/golden/lora_sgd.json` was written
//! by `scripts/reference/lora_sgd.py` (versions inside), which trained PEFT from our
//! initial adapter on the setup of `tests/golden/lora_sgd_setup.json` with plain SGD.
//! Our training must give the same token sequences, the same five losses within 1e-3
//! relative, and the same top-5 next tokens after the fixed prompt.

mod common;
mod lora_reference;

use inherit_pretrained::SmolLm;
use serde::Deserialize;

#[derive(Deserialize)]
struct Sequence {
    ids: Vec<u32>,
    response_start: usize,
}

#[derive(Deserialize)]
struct Golden {
    sequences: Vec<Sequence>,
    losses: Vec<f64>,
    prompt_ids: Vec<u32>,
    top_ids: Vec<usize>,
    top_logprobs: Vec<f64>,
    our_trained_adapter_in_peft: InPeft,
}

/// Our trained adapter (from the `lora_reference` example) loaded into PEFT.
#[derive(Deserialize)]
struct InPeft {
    top_ids: Vec<usize>,
    max_abs_logprob_diff: f64,
}

#[test]
fn lora_sgd_reproduces_pytorch_and_peft() {
    let path = lora_reference::golden_dir().join("lora_sgd.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let golden: Golden = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}"));
    let setup = lora_reference::Setup::load();
    let lm = SmolLm::load_default(&common::device()).unwrap_or_else(|e| panic!("{e}"));
    let run = lora_reference::run(lm, &setup);

    assert_eq!(run.sequences.len(), golden.sequences.len());
    for (i, ((ids, start), g)) in run.sequences.iter().zip(&golden.sequences).enumerate() {
        assert_eq!(ids, &g.ids, "example {i}: token ids");
        assert_eq!(*start, g.response_start, "example {i}: response start");
    }
    assert_eq!(run.prompt_ids, golden.prompt_ids, "the fixed prompt's ids");

    assert_eq!(run.losses.len(), setup.steps);
    for (step, (ours, theirs)) in run.losses.iter().zip(&golden.losses).enumerate() {
        let rel = (ours - theirs).abs() / theirs.abs();
        assert!(
            rel < 1e-3,
            "step {}: loss {ours} vs PEFT {theirs} (relative difference {rel:.2e})",
            step + 1
        );
    }
    // The steps must have moved the loss, or the comparison above proves little.
    assert!(golden.losses[setup.steps - 1] < golden.losses[0] - 0.5);

    // The reference loaded our adapter file into PEFT and got PEFT's own model back.
    let in_peft = &golden.our_trained_adapter_in_peft;
    assert_eq!(in_peft.top_ids, golden.top_ids);
    assert!(in_peft.max_abs_logprob_diff < 1e-2);

    let top = lora_reference::top_k(&run.next_logprobs, setup.top_k);
    assert_eq!(
        top, golden.top_ids,
        "top-{} next tokens after the prompt",
        setup.top_k
    );
    for (&id, &theirs) in top.iter().zip(&golden.top_logprobs) {
        let ours = f64::from(run.next_logprobs[id]);
        assert!(
            (ours - theirs).abs() < 1e-2,
            "token {id}: log p {ours} vs PEFT {theirs}"
        );
    }
}
