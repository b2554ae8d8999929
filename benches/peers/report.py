#!/usr/bin/env python3
"""Builds the table of benches/peers/run.sh from the JSON each side wrote (standard
library only, so `run.sh --ours-only` needs no Python packages).

    report.py --work DIR --meta META.json --out RESULT.json

DIR holds ours-WORKLOAD.json and, unless --ours-only, peer-WORKLOAD.json. Prints the
Markdown table (and writes it next to RESULT.json as RESULT.md); RESULT.json has the
table's rows, the run's metadata and every raw figure.
"""

import argparse
import json
import math
import sys
from pathlib import Path


def load(path: Path):
    return json.loads(path.read_text()) if path.is_file() else None


def fmt(v, unit):
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "–"
    if unit == "s":
        return f"{v:.3g} s" if v < 100 else f"{v:,.0f} s"
    return f"{v:,.1f} {unit}" if v < 1000 else f"{v:,.0f} {unit}"


def busy(v):
    return "?" if v is None else f"{v:.1f}"


def rows(work: Path, meta: dict) -> list[dict]:
    out = []

    def row(workload, ours, peer, unit, higher_is_better, ours_v, peer_v, peer_name, note="",
            ours_busy=None, peer_busy=None, peer_thr=None):  # fmt: skip
        ratio = None
        if ours_v and peer_v:
            ratio = ours_v / peer_v if higher_is_better else peer_v / ours_v
        out.append(
            {
                "workload": workload,
                "unit": unit,
                "ours": ours_v,
                "peer": peer_v,
                "peer_name": peer_name,
                "speed_ratio": ratio,
                "ours_versions": meta["ours_versions"],
                "peer_versions": peer.get("versions") if peer else None,
                "threads": {
                    "ours": meta["threads"],
                    "ours_cores_busy": ours_busy,
                    "peer": peer_thr if peer_thr is not None else (peer or {}).get("threads"),
                    "peer_cores_busy": peer_busy,
                },
                "note": note,
            }
        )

    o, p = load(work / "ours-fairness.json"), load(work / "peer-fairness.json")
    if o:
        rows_n = f"{o['rows']:,} rows, {o['groups']} groups, 5 metrics"
        row(f"MetricFrame point estimates ({rows_n})", o, p, "s", False,
            o["point_seconds"], p and p["point_seconds"], "fairlearn MetricFrame",
            note="point estimates equal (max |diff| {:.1e})".format(p["max_abs_diff_point_estimates"]) if p else "",
            ours_busy=o.get("cores_busy"), peer_busy=p and p.get("cores_busy"))  # fmt: skip
        note = ""
        if p and p["bootstrap_scaled"]:
            note = (
                f"fairlearn: {p['bootstrap_resamples_timed']} resamples timed "
                f"({p['seconds_per_resample']:.2f} s each), scaled to {o['n_boot']}"
            )
        row(f"MetricFrame + {o['n_boot']}-resample bootstrap ({o['rows']:,} rows)", o, p, "s", False,
            o["bootstrap_seconds"], p and p["bootstrap_seconds"], "fairlearn MetricFrame(n_boot)", note,
            ours_busy=o.get("cores_busy"), peer_busy=p and p.get("cores_busy"))  # fmt: skip

    o, p = load(work / "ours-classifier.json"), load(work / "peer-classifier.json")
    if o:
        epochs = f"{o['epochs']} epoch" + ("s" if o["epochs"] != 1 else "")
        size = f"{o['examples']:,} texts, batch {o['batch_size']}, {epochs}"
        for key, name in [("bag", "bag-of-embeddings"), ("transformer", "transformer classifier")]:
            row(f"Train {name} ({size})", o, p, "examples/s", True,
                o[f"{key}_examples_per_second"], p and p[f"{key}_examples_per_second"], "PyTorch CPU",
                ours_busy=o.get("cores_busy"), peer_busy=p and p.get("cores_busy"))  # fmt: skip

    o, p = load(work / "ours-lora.json"), load(work / "peer-lora.json")
    if o:
        note = f"{o['tokens_per_pair']:.0f} tokens/sequence; median of {o['steps_timed']} steps"
        if p:
            note += f" (PEFT: {p['steps_timed']} steps, {p['tokens_per_pair']:.0f} tokens/sequence)"
        elif meta.get("lora_peer_skipped"):
            note += f"; {meta['lora_peer_skipped']}"
        row(f"LoRA SFT SmolLM2-135M, batch {o['batch_size']}, rank {o['rank']}, all layers (s/step)",
            o, p, "s", False, o["seconds_per_step_median"], p and p["seconds_per_step_median"],
            "PyTorch + PEFT + transformers", note, ours_busy=o.get("cores_busy"),
            peer_thr=p and p.get("torch_threads"))  # fmt: skip

    o, p = load(work / "ours-generation.json"), load(work / "peer-generation.json")
    if o:
        peer_rows = {r["batch"]: r for r in (p or {}).get("rows", [])}
        for r in o["rows"]:
            q = peer_rows.get(r["batch"])
            note = f"prompt {o['prompt_tokens']} tokens, up to {o['max_new_tokens']} new; greedy; prefill included"
            if q:
                note += f"; llama.cpp decode alone {q['decode_tokens_per_second']:.1f} tokens/s"
            row(f"SmolLM2-135M Q4_1 generation, batch {r['batch']}", o, p, "tokens/s", True,
                r["tokens_per_second"], q and q["tokens_per_second"], "llama.cpp llama-batched-bench",
                note, ours_busy=r.get("cores_busy"), peer_busy=q and q.get("cores_busy"))  # fmt: skip

    o, p = load(work / "ours-embedding.json"), load(work / "peer-embedding.json")
    if o:
        note = f"batch {o['batch_size']}; tokenisation included"
        if p:
            note += f"; embeddings equal (max |diff| {p['max_abs_diff_vs_ours']:.1e})"
        row(f"MiniLM-L6 sentence embedding ({o['sentences']} sentences)", o, p, "sentences/s", True,
            o["sentences_per_second"], p and p["sentences_per_second"], "sentence-transformers (PyTorch CPU)",
            note, ours_busy=o.get("cores_busy"), peer_busy=p and p.get("cores_busy"))  # fmt: skip
    return out


def versions_text(v: dict | None) -> str:
    if not v:
        return "–"
    # "0.19.0 (pinned; the module has no __version__)" -> "0.19.0"
    return ", ".join(f"{k} {str(val).split(' (')[0]}" for k, val in v.items() if k != "python")


def markdown(table: list[dict], meta: dict) -> str:
    lines = [
        "| workload | ours | peer | speed ratio (ours ÷ peer) | peer versions | threads ours / peer (cores busy) | notes |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in table:
        t = r["threads"]
        ratio = "–" if r["speed_ratio"] is None else f"{r['speed_ratio']:.2f}×"
        peer = "–" if r["peer"] is None else f"{fmt(r['peer'], r['unit'])} ({r['peer_name']})"
        threads = f"{t['ours']} ({busy(t['ours_cores_busy'])}) / " + (
            "–" if t["peer"] is None else f"{t['peer']} ({busy(t['peer_cores_busy'])})"
        )
        lines.append(
            f"| {r['workload']} | {fmt(r['ours'], r['unit'])} | {peer} | {ratio} | "
            f"{versions_text(r['peer_versions'])} | {threads} | {r['note']} |"
        )
    lines += [
        "",
        f"Ours: {versions_text(meta['ours_versions'])}; {meta['ours_threads_note']}",
        f"Machine: {meta['machine']}; load average at start {meta['load_start']}, at end {meta['load_end']}.",
        f"Command: `{meta['command']}` ({meta['git']}, {meta['date']}). Speed ratio > 1: ours faster "
        "(peer time ÷ our time for times, our rate ÷ peer rate for rates).",
    ]
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--work", type=Path, required=True)
    ap.add_argument("--meta", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    meta = json.loads(args.meta.read_text())
    table = rows(args.work, meta)
    if not table:
        sys.exit("report.py: no workload wrote a result")
    md = markdown(table, meta)
    raw = {f.stem: load(f) for f in sorted(args.work.glob("*.json")) if f.name != args.meta.name}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"meta": meta, "rows": table, "raw": raw}, indent=2) + "\n")
    args.out.with_suffix(".md").write_text(md + "\n")
    print(md)


if __name__ == "__main__":
    main()
