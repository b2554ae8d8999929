#!/usr/bin/env bash
# Submits a study to Slurm: plan (here, on the login node) → generation job → cells array
# (afterok:generation) → merge job (afterany:cells; it fails naming the failed shards).
#
#   scripts/slurm/submit.sh --config F --out DIR --shards N [options]
#
# Options:
#   --study-bin PATH     the study binary (default: $STUDY_BIN, else
#                        ${CARGO_TARGET_DIR:-target}/release/examples/study)
#   --partition P        partition of every job
#   --account A          account of every job
#   --time T             time limit of every job (Slurm syntax, e.g. 02:00:00)
#   --gpu                the cells get --gres=gpu:1 (a binary built with --features tch and
#                        `device = "tch-cuda"` in the configuration)
#   --cpus C             CPUs per cell task (default 1)
#   --max-parallel M     at most M array tasks at once (--array=0-(N-1)%M)
#   --serve KIND         start an OpenAI-compatible server in the generation job: vllm,
#                        llama-server or custom (see generate.sbatch); adds --gres=gpu:1 to
#                        it unless --serve-cpu
#   --serve-model M      the model the server loads (vllm: id or folder; llama-server: GGUF)
#   --serve-args "A"     extra server arguments
#   --serve-cmd "CMD"    the server command of --serve custom (run with bash -c)
#   --serve-cpu          no GPU for the generation job's server
#   --sbatch-arg ARG     extra sbatch argument for every job (repeatable)
#   --generate-arg ARG, --cells-arg ARG, --merge-arg ARG
#                        extra sbatch argument for one job (repeatable)
#   --dry-run            plan, then print the sbatch commands instead of running them
#
# DIR must be on a file system that the login node and every compute node share. Logs go
# to DIR/logs (generate-JOB.log, cells-ARRAYJOB_I.log, merge-JOB.log) beside the markers
# that merge.sbatch reads; DIR/slurm.env records the binary, N and the job ids for the job
# scripts and for resubmission. The last line printed is machine-readable:
#   jobs: generate=ID cells=ID merge=ID
set -euo pipefail

SCRIPTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

usage() {
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//'
  exit "${1:-0}"
}
die() {
  echo "submit.sh: $*" >&2
  exit 2
}

config="" out="" shards="" bin="${STUDY_BIN:-}" dry=0 gpu=0 cpus=1 max_parallel=""
serve="" serve_model="" serve_args="" serve_cmd="" serve_gpu=1
common=() gen_extra=() cells_extra=() merge_extra=()
need() {
  if [ $# -lt 2 ] || [ -z "$2" ]; then die "$1 needs a value"; fi
}
while [ $# -gt 0 ]; do
  case "$1" in
    --config) need "$@"; config=$2; shift 2 ;;
    --out) need "$@"; out=$2; shift 2 ;;
    --shards) need "$@"; shards=$2; shift 2 ;;
    --study-bin) need "$@"; bin=$2; shift 2 ;;
    --partition) need "$@"; common+=("--partition=$2"); shift 2 ;;
    --account) need "$@"; common+=("--account=$2"); shift 2 ;;
    --time) need "$@"; common+=("--time=$2"); shift 2 ;;
    --gpu) gpu=1; shift ;;
    --cpus) need "$@"; cpus=$2; shift 2 ;;
    --max-parallel) need "$@"; max_parallel=$2; shift 2 ;;
    --serve) need "$@"; serve=$2; shift 2 ;;
    --serve-model) need "$@"; serve_model=$2; shift 2 ;;
    --serve-args) need "$@"; serve_args=$2; shift 2 ;;
    --serve-cmd) need "$@"; serve_cmd=$2; shift 2 ;;
    --serve-cpu) serve_gpu=0; shift ;;
    --sbatch-arg) need "$@"; common+=("$2"); shift 2 ;;
    --generate-arg) need "$@"; gen_extra+=("$2"); shift 2 ;;
    --cells-arg) need "$@"; cells_extra+=("$2"); shift 2 ;;
    --merge-arg) need "$@"; merge_extra+=("$2"); shift 2 ;;
    --dry-run) dry=1; shift ;;
    -h | --help) usage 0 ;;
    *) echo "submit.sh: unknown argument $1" >&2; usage 2 ;;
  esac
done

[ -n "$config" ] || die "--config F is required"
[ -n "$out" ] || die "--out DIR is required"
[ -n "$shards" ] || die "--shards N is required"
[[ "$shards" =~ ^[1-9][0-9]*$ ]] || die "--shards must be a positive number, got $shards"
[[ "$cpus" =~ ^[1-9][0-9]*$ ]] || die "--cpus must be a positive number, got $cpus"
[ -z "$max_parallel" ] || [[ "$max_parallel" =~ ^[1-9][0-9]*$ ]] || die "--max-parallel must be a positive number"
[ -f "$config" ] || die "no configuration file $config"
if [ -z "$bin" ]; then
  bin="${CARGO_TARGET_DIR:-$SCRIPTS/../../target}/release/examples/study"
fi
[ -x "$bin" ] || die "no study binary at $bin (cargo build --release --example study, or --study-bin PATH)"
case "$serve" in
  "" | vllm | llama-server | custom) ;;
  *) die "--serve must be vllm, llama-server or custom, got $serve" ;;
esac
command -v sbatch >/dev/null || [ "$dry" -eq 1 ] || die "sbatch not found (load the Slurm module?)"

bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
config=$(cd "$(dirname "$config")" && pwd)/$(basename "$config")
mkdir -p "$out/logs"
out=$(cd "$out" && pwd)

# 1. Plan, here: fails fast on a bad configuration, fetches the models into INHERIT_CACHE
#    (login nodes usually reach pip; compute nodes often do not), writes DIR/plan.jsonl
#    and DIR/study.toml, which every job reads.
echo "+ $bin --config $config --out $out plan"
plan_log="$out/logs/plan.log"
if ! "$bin" --config "$config" --out "$out" plan >"$plan_log" 2>&1; then
  cat "$plan_log" >&2
  die "the plan stage failed (log: $plan_log)"
fi
if [ -n "$serve" ]; then
  kind=$(awk '/^\[/ { s = $0; next } s == "[generator]" && $1 == "kind" { print $3; exit }' "$out/study.toml")
  [ "$kind" = '"openai"' ] || die "--serve needs [generator] kind = \"openai\" in $config (it is $kind)"
fi
if [ "$gpu" -eq 1 ]; then
  device=$(awk '/^\[/ { exit } $1 == "device" { print $3; exit }' "$out/study.toml")
  case "$device" in
    *cuda*) ;;
    *) echo "submit.sh: warning: --gpu, but the configuration trains on device = $device (not tch-cuda or cuda)" >&2 ;;
  esac
fi
cells=$(wc -l <"$out/plan.jsonl")
echo "planned $cells cells into $out; $shards shards"
[ "$shards" -le "$cells" ] || echo "submit.sh: warning: $shards shards for $cells cells; some shards have no cell" >&2

# The job scripts read this (the environment wins over it). Old markers of a previous
# submission into DIR are removed: they describe jobs that are over.
{
  echo "# written by scripts/slurm/submit.sh on $(date -Is)"
  printf 'STUDY_BIN=%q\nSHARDS=%q\nINHERIT_SLURM_SCRIPTS=%q\n' "$bin" "$shards" "$SCRIPTS"
  [ -z "$serve" ] || printf 'INHERIT_SERVE=%q\nINHERIT_SERVE_MODEL=%q\nINHERIT_SERVE_ARGS=%q\nINHERIT_SERVE_CMD=%q\n' \
    "$serve" "$serve_model" "$serve_args" "$serve_cmd"
  for v in INHERIT_DATA_DIR INHERIT_CACHE; do
    # shellcheck disable=SC2016 # expanded when the job sources the file
    [ -z "${!v:-}" ] || printf '[ -n "${%s:-}" ] || export %s=%q\n' "$v" "$v" "${!v}"
  done
} >"$out/slurm.env"
rm -f "$out"/logs/generate.done "$out"/logs/generate.failed "$out"/logs/shard-*.done "$out"/logs/shard-*.failed

gen_args=(--parsable --job-name=inherit-generate --output="$out/logs/generate-%j.log")
[ -z "$serve" ] || [ "$serve_gpu" -eq 0 ] || gen_args+=(--gres=gpu:1)
array="0-$((shards - 1))${max_parallel:+%$max_parallel}"
cells_args=(--parsable --job-name=inherit-cells --array="$array" --cpus-per-task="$cpus"
  --kill-on-invalid-dep=yes --output="$out/logs/cells-%A_%a.log")
[ "$gpu" -eq 0 ] || cells_args+=(--gres=gpu:1)
merge_args=(--parsable --job-name=inherit-merge --output="$out/logs/merge-%j.log")

submitted=()
submit() { # submit ARGS...: prints the job id
  local id
  if [ "$dry" -eq 1 ]; then
    echo "+ sbatch $*" >&2
    echo "DRY$((${#submitted[@]} + 1))"
    return
  fi
  if ! id=$(sbatch "$@"); then
    [ "${#submitted[@]}" -eq 0 ] || scancel "${submitted[@]}" || true
    die "sbatch failed; cancelled the jobs submitted so far (${submitted[*]:-none})"
  fi
  echo "${id%%;*}"
}

# ${a[@]+"${a[@]}"}: an empty array under `set -u` in bash < 4.4 too.
gen=$(submit ${common[@]+"${common[@]}"} "${gen_args[@]}" ${gen_extra[@]+"${gen_extra[@]}"} \
  "$SCRIPTS/generate.sbatch" "$out") || exit 2
submitted+=("$gen")
cel=$(submit ${common[@]+"${common[@]}"} "${cells_args[@]}" --dependency="afterok:$gen" \
  ${cells_extra[@]+"${cells_extra[@]}"} "$SCRIPTS/cells.sbatch" "$out" "$shards") || exit 2
submitted+=("$cel")
mer=$(submit ${common[@]+"${common[@]}"} "${merge_args[@]}" --dependency="afterany:$cel" \
  ${merge_extra[@]+"${merge_extra[@]}"} "$SCRIPTS/merge.sbatch" "$out" "$shards") || exit 2
[ "$dry" -eq 1 ] || printf 'GENERATE_JOB=%q\nCELLS_JOB=%q\nMERGE_JOB=%q\n' "$gen" "$cel" "$mer" >>"$out/slurm.env"

echo "generation job $gen; cells array $cel (tasks 0-$((shards - 1)), afterok:$gen); merge job $mer (afterany:$cel)"
echo "logs: $out/logs"
echo "jobs: generate=$gen cells=$cel merge=$mer"
