//! Our side of the LoRA SFT reference run, for `scripts/reference/lora_sgd.py`: trains
//! `tests/golden/lora_sgd_setup.json` on SmolLM2 and writes, into `--out`,
//! `initial/` and `trained/` (PEFT adapter folders) and `ours.json` (token sequences,
//! losses, the trained model's top next tokens after the fixed prompt).
//!
//! ```sh
//! cargo run --release -p inherit-train --example lora_reference -- --out /tmp/lora-ref
//! ```

#[path = "../tests/lora_reference/mod.rs"]
mod lora_reference;

use std::path::PathBuf;

use clap::Parser;
use inherit_pretrained::{Device, SmolLm, peft};

/// Write our initial and trained adapters and losses for the PyTorch + PEFT reference.
#[derive(Parser, Debug)]
struct Args {
    /// Output folder.
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let setup = lora_reference::Setup::load();
    let lm = SmolLm::load_default(&Device::flex())?;
    let run = lora_reference::run(lm, &setup);
    peft::save(args.out.join("initial"), &run.initial, None)?;
    peft::save(args.out.join("trained"), &run.trained, None)?;
    let top = lora_reference::top_k(&run.next_logprobs, setup.top_k);
    let ours = serde_json::json!({
        "sequences": run.sequences.iter().map(|(seq, start)| serde_json::json!({
            "ids": seq, "response_start": start,
        })).collect::<Vec<_>>(),
        "losses": run.losses,
        "prompt_ids": run.prompt_ids,
        "top_ids": top,
        "top_logprobs": top.iter().map(|&i| run.next_logprobs[i]).collect::<Vec<_>>(),
    });
    let path = args.out.join("ours.json");
    inherit_core::io::write_atomic(&path, serde_json::to_string_pretty(&ours)?.as_bytes())?;
    println!("wrote {}", args.out.display());
    for (step, loss) in run.losses.iter().enumerate() {
        println!("step {} loss {loss:.6}", step + 1);
    }
    println!("top-{} ids after the prompt: {top:?}", setup.top_k);
    Ok(())
}
