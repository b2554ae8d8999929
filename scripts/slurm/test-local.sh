#!/usr/bin/env bash
# A real single-node Slurm test of scripts/slurm: this machine is the controller and the
# only compute node. Run as root (it installs slurm-wlm and munge from the distribution's
# packages when they are missing):
#
#   bash scripts/slurm/test-local.sh
#
# 1. Writes slurm.conf (select/cons_tres with CR_Core, proctrack/linuxproc, task/none,
#    no cgroups, no slurmdbd; final job states in a jobcomp/filetxt file) and a munge key
#    into a temp folder, on free ports, and starts munged, slurmctld and slurmd from it.
# 2. Builds the study binary (`cargo build --example study`, dev profile).
# 3. Submits the quick configuration, shrunk (see `shrink` below), with submit.sh:
#    plan → generation → 4-task array → merge. One array task is cancelled (scancel)
#    after its first cell; the merge job must end FAILED naming that task's log. The task
#    is resubmitted alone (`sbatch --array=I`): it must run only the cells it had not
#    finished; a second merge job must complete.
# 4. Three small model-free runs beside it: one where shard 1 of 2 exits non-zero, one
#    where the generation job fails (both merge jobs must end FAILED naming the failed
#    log), and one whose generation job starts an OpenAI-compatible server
#    (openai-stub.py, as `submit.sh --serve custom`), generates through it and stops it.
# 5. Runs the same configuration in one process and compares the results cell by cell
#    with the merged Slurm results.
# 6. Prints every job's final state and elapsed time from the jobcomp file.
#
# It always stops the daemons it started (and any job process left) and removes its temp
# folder. Environment: CARGO_TARGET_DIR, INHERIT_DATA_DIR, INHERIT_CACHE (as for cargo
# test); SLURM_TEST_TIMEOUT (seconds for the whole test, default 900).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SCRIPTS="$ROOT/scripts/slurm"
T0=$(date +%s)
DEADLINE=$((T0 + ${SLURM_TEST_TIMEOUT:-900}))
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
export INHERIT_DATA_DIR="${INHERIT_DATA_DIR:-$(cd "$ROOT/.." && pwd)/shared/data}"

say() { echo "[test-local $(($(date +%s) - T0))s] $*"; }
fail() {
  echo "test-local.sh: FAILED: $*" >&2
  exit 1
}

# ---------------------------------------------------------------------------------------
# Packages.
missing=()
for prog in slurmctld slurmd sbatch munged; do
  command -v "$prog" >/dev/null || missing+=("$prog")
done
if [ "${#missing[@]}" -gt 0 ]; then
  [ "$(id -u)" -eq 0 ] || fail "${missing[*]} missing and not root: install slurm-wlm and munge"
  say "installing slurm-wlm and munge (missing: ${missing[*]})"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends slurm-wlm munge >/dev/null
fi
command -v python3 >/dev/null || fail "python3 is needed"

# ---------------------------------------------------------------------------------------
# Daemons, all under one temp folder.
T=$(mktemp -d /tmp/inherit-slurm.XXXXXX)
chmod 700 "$T"
mkdir -p "$T"/{munge,state,spool,run,log,runs,hooks}
export SLURM_CONF="$T/slurm.conf"
STARTED=0

cleanup() {
  local rc=$?
  set +e
  trap - EXIT INT TERM
  if [ "$rc" -ne 0 ] && [ "$STARTED" -eq 1 ]; then
    echo "=== test-local.sh failed (exit $rc): Slurm state and logs ===" >&2
    squeue -a 2>&1 | head -n 40 >&2
    scontrol -o show job 2>/dev/null | cut -c1-400 | head -n 40 >&2
    for f in "$T"/log/*.log "$T"/runs/*/logs/*.log; do
      [ -f "$f" ] || continue
      echo "--- $f (last 25 lines)" >&2
      tail -n 25 "$f" >&2
    done
  fi
  if [ "$STARTED" -eq 1 ]; then
    # Jobs first, then the daemons.
    ids=$(squeue -h -o %A 2>/dev/null | sort -u)
    # shellcheck disable=SC2086 # one id per word
    [ -z "$ids" ] || scancel $ids 2>/dev/null
    for _ in $(seq 1 20); do
      [ -z "$(squeue -h -o %A 2>/dev/null)" ] && break
      sleep 0.5
    done
    scontrol shutdown >/dev/null 2>&1
  fi
  for pidfile in "$T/run/slurmd.pid" "$T/run/slurmctld.pid" "$T/munge/munged.pid"; do
    [ -f "$pidfile" ] || continue
    pid=$(cat "$pidfile")
    for n in $(seq 1 20); do
      kill -0 "$pid" 2>/dev/null || break
      [ "$n" -eq 6 ] && kill -TERM "$pid" 2>/dev/null
      sleep 0.5
    done
    kill -KILL "$pid" 2>/dev/null
  done
  # Whatever else was started with this test's SLURM_CONF (job steps, job scripts); this
  # shell's own children no longer get it.
  export -n SLURM_CONF
  for env in /proc/[0-9]*/environ; do
    pid=${env#/proc/}
    pid=${pid%/environ}
    [ "$pid" != "$$" ] || continue
    if tr '\0' '\n' 2>/dev/null <"$env" | grep -qxF "SLURM_CONF=$T/slurm.conf"; then
      kill -KILL "$pid" 2>/dev/null && echo "test-local.sh: killed leftover process $pid" >&2
    fi
  done
  rm -rf "$T"
  say "cleaned up (daemons stopped, $T removed); exit $rc"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

read -r CTLD_PORT SLURMD_PORT < <(python3 -c '
import socket
s = [socket.socket() for _ in range(2)]
for x in s: x.bind(("127.0.0.1", 0))
print(*(x.getsockname()[1] for x in s))')
HOST=$(hostname -s)
NCPU=$(nproc)

dd if=/dev/urandom of="$T/munge/munge.key" bs=1024 count=1 status=none
chmod 400 "$T/munge/munge.key"
munged --force --socket="$T/munge/munge.socket" --key-file="$T/munge/munge.key" \
  --pid-file="$T/munge/munged.pid" --log-file="$T/munge/munged.log" \
  --seed-file="$T/munge/munged.seed" || fail "munged did not start: $(cat "$T/munge/munged.log" 2>/dev/null)"
STARTED=1

cat >"$SLURM_CONF" <<EOF
ClusterName=inherittest
SlurmctldHost=$HOST(127.0.0.1)
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$T/munge/munge.socket
StateSaveLocation=$T/state
SlurmdSpoolDir=$T/spool
SlurmctldPidFile=$T/run/slurmctld.pid
SlurmdPidFile=$T/run/slurmd.pid
SlurmctldLogFile=$T/log/slurmctld.log
SlurmdLogFile=$T/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=$T/jobcomp.txt
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
MpiDefault=none
ReturnToService=2
MinJobAge=3600
KillWait=5
InactiveLimit=0
Waittime=0
NodeName=$HOST NodeAddr=127.0.0.1 CPUs=$NCPU State=UNKNOWN
PartitionName=test Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
EOF

slurmctld -c -f "$SLURM_CONF" || fail "slurmctld did not start"
slurmd -N "$HOST" -f "$SLURM_CONF" || fail "slurmd did not start"
state=""
for _ in $(seq 1 60); do
  state=$(sinfo -h -N -n "$HOST" -o %T 2>/dev/null || true)
  [ "$state" = "idle" ] && break
  sleep 0.5
done
[ "$state" = "idle" ] || fail "node $HOST is '$state', not idle, after 30 s"
say "slurmctld (port $CTLD_PORT) and slurmd (port $SLURMD_PORT) up; node $HOST idle with $NCPU CPUs"

# ---------------------------------------------------------------------------------------
# Helpers.

# job_state ID: the state of a job (of every task of an array, space-separated).
job_state() {
  scontrol -o show job "$1" 2>/dev/null | sed -n 's/.* JobState=\([A-Z_]*\) .*/\1/p' | sort -u | tr '\n' ' '
}
is_final() {
  local s
  for s in $1; do
    case "$s" in
      COMPLETED | FAILED | CANCELLED | TIMEOUT | NODE_FAIL | OUT_OF_MEMORY | BOOT_FAIL | DEADLINE | PREEMPTED) ;;
      *) return 1 ;;
    esac
  done
  [ -n "$1" ]
}
# wait_job ID WHAT: until the job (every task) is in a final state, or the deadline.
wait_job() {
  local s
  while :; do
    s=$(job_state "$1")
    is_final "$s" && break
    [ "$(date +%s)" -lt "$DEADLINE" ] || fail "timed out waiting for $2 (job $1: ${s:-unknown})"
    sleep 1
  done
  echo "$s"
}
# submit_chain NAME ARGS...: runs submit.sh; sets GEN CELLS MERGE.
submit_chain() {
  local name=$1 line
  shift
  line=$(bash "$SCRIPTS/submit.sh" "$@" | tee "$T/submit-$name.out" | grep '^jobs: ') ||
    fail "submit.sh ($name) printed no jobs line: $(cat "$T/submit-$name.out")"
  local re='^jobs: generate=([0-9]+) cells=([0-9]+) merge=([0-9]+)$'
  [[ "$line" =~ $re ]] || fail "submit.sh ($name): cannot read '$line'"
  GEN=${BASH_REMATCH[1]} CELLS=${BASH_REMATCH[2]} MERGE=${BASH_REMATCH[3]}
  say "$name: $line"
}

# ---------------------------------------------------------------------------------------
# The study binary, the configurations, and a wrapper with test hooks.
say "building the study binary (cargo build --example study)"
(cd "$ROOT" && cargo build --quiet --example study)
BIN="$CARGO_TARGET_DIR/debug/examples/study"
[ -x "$BIN" ] || fail "no binary at $BIN"

# The quick configuration, shrunk for a dev-profile build on 2 cores: its first task only
# (occupation; the fine-tuned SmolLM2 of the hiring task and its self-augmentation rounds
# are tested in crates/inherit-study/tests, the scheduling here), 1 neutral and 2
# augmented generations per label, 48 new tokens, 12 texts per source for the shift, 3
# seeds (9 cells: γ = 0 once per seed, since `mask` is inert there; a shard holds several).
shrink() {
  awk '/^\[\[tasks\]\]/ { n++ } /^\[generator\]/ { skip = 0 } n >= 2 && /^\[\[tasks\]\]/ { skip = 1 } !skip' |
    sed -e 's/^seeds = .*/seeds = [1, 2, 3]/' \
      -e 's/^neutral_per_label = .*/neutral_per_label = 1/' \
      -e 's/^augmented_per_label = .*/augmented_per_label = 2/' \
      -e 's/^max_tokens = .*/max_tokens = 48/' \
      -e 's/^samples_per_source = .*/samples_per_source = 12/'
}
"$BIN" --print-config --quick | shrink >"$T/quick.toml"
[ "$(grep -c '^\[\[tasks\]\]' "$T/quick.toml")" -eq 1 ] || fail "shrinking left more than one task"
for want in 'seeds = \[1, 2, 3\]' 'neutral_per_label = 1' 'augmented_per_label = 2' \
  'max_tokens = 48' 'samples_per_source = 12' 'kind = "smollm2"' 'kind = "occupation"'; do
  grep -q "^$want" "$T/quick.toml" || fail "configs/quick.toml changed: no line '$want' after shrinking"
done
# The failure runs need no model.
sed -e 's/^kind = "smollm2"/kind = "stand-in"/' -e 's/^kind = "minilm"/kind = "hashing"/' \
  "$T/quick.toml" >"$T/stand-in.toml"

# Hooks, keyed by the run folder's name: hooks/fail-NAME-generate and
# hooks/fail-NAME-shard-I make that stage exit 3; hooks/pause-NAME-shard-I stops
# (SIGSTOP) the shard once it has written its first result and writes hooks/paused-NAME
# with the number of results written (the hook is used once).
cat >"$T/study-hooked" <<EOF
#!/usr/bin/env bash
HOOKS="$T/hooks"
REAL="$BIN"
EOF
cat >>"$T/study-hooked" <<'EOF'
out="" stage="" shard=""
args=("$@")
for ((k = 0; k < ${#args[@]}; k++)); do
  case "${args[k]}" in
    --out) out=${args[k + 1]} ;;
    generate) stage=generate ;;
    --shard) shard=${args[k + 1]%/*} ;;
  esac
done
name=$(basename "$out")
[ -n "$shard" ] && stage="shard-$shard"
if [ -n "$stage" ] && [ -e "$HOOKS/fail-$name-$stage" ]; then
  echo "study-hooked: failing $stage of $name on purpose" >&2
  exit 3
fi
if [ -n "$shard" ] && [ -e "$HOOKS/pause-$name-$stage" ]; then
  rm -f "$HOOKS/pause-$name-$stage"
  "$REAL" "$@" &
  pid=$!
  results="$out/results.shard-$shard.jsonl"
  while kill -0 "$pid" 2>/dev/null; do
    if [ -s "$results" ] && [ "$(wc -l <"$results")" -ge 1 ]; then
      kill -STOP "$pid"
      wc -l <"$results" >"$HOOKS/paused-$name.tmp"
      mv "$HOOKS/paused-$name.tmp" "$HOOKS/paused-$name"
      break
    fi
    sleep 0.02
  done
  wait "$pid"
  exit $?
fi
exec "$REAL" "$@"
EOF
chmod +x "$T/study-hooked"

cd "$T"
# ---------------------------------------------------------------------------------------
# 3. The main run, and 4. the failure runs beside it.
MAIN="$T/runs/main"
# The array is submitted held (submit.sh --cells-arg), released once the hook is set.
submit_chain main --config "$T/quick.toml" --out "$MAIN" --shards 4 --study-bin "$T/study-hooked" \
  --cells-arg --hold
MAIN_CELLS=$CELLS MAIN_MERGE=$MERGE

# The shard holding the most cells (ties: the lowest) is cancelled after its first cell.
read -r VICTIM VICTIM_CELLS < <(python3 - "$MAIN/plan.jsonl" 4 <<'EOF'
import json, sys
n = int(sys.argv[2])
counts = [0] * n
for line in open(sys.argv[1]):
    counts[int(json.loads(line)["key"][:16], 16) % n] += 1
best = max(range(n), key=lambda i: (counts[i], -i))
print(best, counts[best])
EOF
)
[ "$VICTIM_CELLS" -ge 2 ] || fail "no shard of 4 holds 2 cells"
touch "$T/hooks/pause-main-shard-$VICTIM"
scontrol release "$MAIN_CELLS"
say "main: shard $VICTIM holds $VICTIM_CELLS cells; it will be cancelled after its first"

FAILSHARD="$T/runs/failshard"
touch "$T/hooks/fail-failshard-shard-1"
submit_chain failshard --config "$T/stand-in.toml" --out "$FAILSHARD" --shards 2 --study-bin "$T/study-hooked"
FS_CELLS=$CELLS FS_MERGE=$MERGE

FAILGEN="$T/runs/failgen"
touch "$T/hooks/fail-failgen-generate"
submit_chain failgen --config "$T/stand-in.toml" --out "$FAILGEN" --shards 2 --study-bin "$T/study-hooked"
FG_GEN=$GEN FG_MERGE=$MERGE

# The generation behind a server that generate.sbatch starts and stops (the stub).
SERVE="$T/runs/serve"
SERVE_PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
sed "s|^kind = \"stand-in\"|kind = \"openai\"\nendpoint = \"http://127.0.0.1:$SERVE_PORT/v1\"\nmodel = \"stub\"|" \
  "$T/stand-in.toml" >"$T/openai.toml"
grep -q '^endpoint = ' "$T/openai.toml" || fail "could not write openai.toml"
submit_chain serve --config "$T/openai.toml" --out "$SERVE" --shards 2 --study-bin "$BIN" \
  --serve custom --serve-cmd "exec python3 $SCRIPTS/openai-stub.py" --serve-cpu
SV_GEN=$GEN SV_MERGE=$MERGE

# The failing shard: its task FAILED, the merge FAILED naming the task's log.
s=$(wait_job "$FS_MERGE" "the failshard merge")
[ "$s" = "FAILED " ] || fail "failshard: merge job $FS_MERGE ended '$s', expected FAILED"
[ "$(job_state "${FS_CELLS}_1")" = "FAILED " ] || fail "failshard: task ${FS_CELLS}_1 is $(job_state "${FS_CELLS}_1")"
want="$FAILSHARD/logs/cells-${FS_CELLS}_1.log"
grep -qF "log: $want" "$FAILSHARD/logs/merge-$FS_MERGE.log" ||
  fail "failshard: the merge log does not name $want"
say "failshard: merge job $FS_MERGE FAILED as it should; its output:"
sed 's/^/    | /' "$FAILSHARD/logs/merge-$FS_MERGE.log"

# The failing generation: the cells are cancelled (invalid dependency), the merge runs
# (afterany) and FAILED naming the generation log.
s=$(wait_job "$FG_MERGE" "the failgen merge")
[ "$s" = "FAILED " ] || fail "failgen: merge job $FG_MERGE ended '$s', expected FAILED"
want="$FAILGEN/logs/generate-$FG_GEN.log"
grep -qF "log: $want" "$FAILGEN/logs/merge-$FG_MERGE.log" ||
  fail "failgen: the merge log does not name $want"
say "failgen: merge job $FG_MERGE FAILED as it should; its output:"
sed 's/^/    | /' "$FAILGEN/logs/merge-$FG_MERGE.log"

s=$(wait_job "$SV_MERGE" "the serve merge")
[ "$s" = "COMPLETED " ] || fail "serve: merge job $SV_MERGE ended '$s', expected COMPLETED"
log="$SERVE/logs/generate-$SV_GEN.log"
grep -q "the server answers at http://127.0.0.1:$SERVE_PORT/v1" "$log" || fail "serve: $log: no server"
grep -q "stopping the server" "$log" || fail "serve: $log: the server was not stopped"
! python3 -c "import socket; socket.create_connection(('127.0.0.1', $SERVE_PORT), 1)" 2>/dev/null ||
  fail "serve: something still listens on port $SERVE_PORT"
say "serve: generation job $SV_GEN started the stub server, generated through it and stopped it; merge $SV_MERGE COMPLETED"
grep -E '^(generate.sbatch|\[augment\])' "$log" | sed 's/^/    | /'

# The main run: cancel the paused shard.
while [ ! -e "$T/hooks/paused-main" ]; do
  [ "$(date +%s)" -lt "$DEADLINE" ] || fail "timed out waiting for shard $VICTIM of the main run to start"
  if is_final "$(job_state "${MAIN_CELLS}_$VICTIM")"; then
    fail "shard $VICTIM ended ($(job_state "${MAIN_CELLS}_$VICTIM")) before it was paused"
  fi
  sleep 0.5
done
DONE_BEFORE=$(cat "$T/hooks/paused-main")
scancel "${MAIN_CELLS}_$VICTIM"
say "main: cancelled task ${MAIN_CELLS}_$VICTIM after $DONE_BEFORE of its $VICTIM_CELLS cells"
s=$(wait_job "$MAIN_MERGE" "the main merge")
[ "$s" = "FAILED " ] || fail "main: merge job $MAIN_MERGE ended '$s', expected FAILED (shard $VICTIM was cancelled)"
[ "$(job_state "${MAIN_CELLS}_$VICTIM")" = "CANCELLED " ] ||
  fail "main: task ${MAIN_CELLS}_$VICTIM is $(job_state "${MAIN_CELLS}_$VICTIM"), expected CANCELLED"
want="$MAIN/logs/cells-${MAIN_CELLS}_$VICTIM.log"
grep -qF "log: $want" "$MAIN/logs/merge-$MAIN_MERGE.log" || fail "main: the merge log does not name $want"
say "main: merge job $MAIN_MERGE FAILED as it should; its output:"
sed 's/^/    | /' "$MAIN/logs/merge-$MAIN_MERGE.log"

# Resubmit the cancelled shard alone, then merge again.
RESUB=$(sbatch --parsable --array="$VICTIM" --output="$MAIN/logs/cells-%A_%a.log" "$SCRIPTS/cells.sbatch" "$MAIN")
RESUB=${RESUB%%;*}
MERGE2=$(sbatch --parsable --dependency="afterany:$RESUB" --output="$MAIN/logs/merge-%j.log" "$SCRIPTS/merge.sbatch" "$MAIN")
MERGE2=${MERGE2%%;*}
say "main: resubmitted shard $VICTIM as job ${RESUB}_$VICTIM; merge job $MERGE2"
s=$(wait_job "$MERGE2" "the second main merge")
[ "$s" = "COMPLETED " ] || fail "main: merge job $MERGE2 ended '$s', expected COMPLETED"
resub_log="$MAIN/logs/cells-${RESUB}_$VICTIM.log"
expect="shard $VICTIM/4: $((VICTIM_CELLS - DONE_BEFORE)) cells run, $DONE_BEFORE found finished"
grep -qF "$expect" "$resub_log" || fail "main: $resub_log does not say '$expect'"
say "main: the resubmitted shard says: $expect"
python3 - "$MAIN/results.shard-$VICTIM.jsonl" "$VICTIM_CELLS" <<'EOF' || fail "main: duplicate or missing results in shard $VICTIM"
import collections, json, sys
keys = [json.loads(l)["key"] for l in open(sys.argv[1]) if l.strip()]
dups = [k for k, c in collections.Counter(keys).items() if c > 1]
print(f"    results.shard-*.jsonl of the resubmitted shard: {len(keys)} records, "
      f"{len(set(keys))} keys, duplicates: {dups or 'none'}")
sys.exit(1 if dups or len(keys) != int(sys.argv[2]) else 0)
EOF
sed -n 's/^/    | /p' "$MAIN/logs/merge-$MERGE2.log" | grep -v '^    | cells ' | tail -n 8

# ---------------------------------------------------------------------------------------
# 5. The same configuration in one process. The generation is replayed from the Slurm
# run's cache (the comparison is of the cells and the merge; regenerating would double
# the test's time).
SINGLE="$T/runs/single"
mkdir -p "$SINGLE/cache"
cp "$MAIN/cache/generations.jsonl" "$SINGLE/cache/"
say "single process: study --config quick.toml --out $SINGLE"
t=$(date +%s)
"$BIN" --config "$T/quick.toml" --out "$SINGLE" >"$T/single.out" 2>"$T/single.err" ||
  fail "the single-process run failed: $(tail -n 20 "$T/single.err")"
say "single process: done in $(($(date +%s) - t)) s; $(grep -h 'from cache' "$T/single.err" | tr '\n' ' ')"
python3 - "$MAIN" "$SINGLE" <<'EOF' || fail "the Slurm results differ from the single-process run"
import csv, glob, json, math, os, sys

def records(folder):
    out = {}
    for path in sorted(glob.glob(os.path.join(folder, "results*.jsonl"))):
        for line in open(path):
            if line.strip():
                r = json.loads(line)
                if r["key"] in out and out[r["key"]] != r:
                    sys.exit(f"{folder}: key {r['key']} twice with different records")
                out[r["key"]] = r
    return out

def same(a, b):
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return a == b

slurm, single = records(sys.argv[1]), records(sys.argv[2])
bad = sorted(k for k in slurm.keys() | single.keys()
             if k not in slurm or k not in single or not same(slurm[k], single[k]))
fields = sorted({f for r in single.values() for f in r})
print(f"    results: {len(slurm)} cells from Slurm, {len(single)} single-process; "
      f"fields compared: {', '.join(fields)}; differing: {bad or 'none'}")
rows = [sorted(csv.reader(open(os.path.join(d, "results.csv")))) for d in sys.argv[1:]]
print(f"    results.csv: {len(rows[0])} and {len(rows[1])} rows; "
      f"{'identical' if rows[0] == rows[1] else 'DIFFERENT'} (as sets of rows)")
sys.exit(1 if bad or rows[0] != rows[1] or not slurm else 0)
EOF

# ---------------------------------------------------------------------------------------
# 6. Every job's final state and elapsed time (jobcomp/filetxt).
say "jobs (from $T/jobcomp.txt):"
python3 - "$T/jobcomp.txt" <<'EOF'
import datetime, re, sys
fmt = "%Y-%m-%dT%H:%M:%S"
print(f"    {'job':>10} {'name':<18} {'state':<10} {'exit':<6} {'elapsed':>8}")
def num(text, default):
    return int(text) if (text or "").isdigit() else default

def order(f):  # by job, array tasks in order under their array job
    task = num(f.get("ArrayTaskId"), -1)
    if num(f.get("ArrayJobId"), 0) and task < 4294967294:
        return (num(f.get("ArrayJobId"), 0), task)
    return (num(f.get("JobId"), 0), -1)

jobs = [dict(re.findall(r"(\w+)=(\S*)", line)) for line in open(sys.argv[1])]
for f in sorted(jobs, key=order):
    job, task = order(f)
    job = f"{job}_{task}" if task >= 0 else str(job)
    try:
        el = (datetime.datetime.strptime(f["EndTime"], fmt)
              - datetime.datetime.strptime(f["StartTime"], fmt)).total_seconds()
        el = f"{el:.0f} s"
    except (KeyError, ValueError):
        el = "-"
    print(f"    {job:>10} {f.get('Name', '?'):<18} {f.get('JobState', '?'):<10} "
          f"{f.get('ExitCode', '?'):<6} {el:>8}")
EOF
say "PASSED in $(($(date +%s) - T0)) s"
