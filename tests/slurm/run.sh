#!/usr/bin/env bash
# A real one-node SLURM cluster on localhost runs the README's array job (extracted from
# README.md, so the documentation is what is tested) over the shipped STS test cohort:
#   1. 3 array tasks, `sbatch --wait`, `radx merge`: byte-identical to an unsharded run;
#   2. one task scancel'ed mid-run, the same script resubmitted: complete, byte-identical,
#      and the cases the killed task had finished are kept (their provenance still names
#      the first job; the resumed task's summary says so), not recomputed;
#   3. exit codes: 0 for clean tasks, 1 (the README's "some cases failed") for a task with
#      a failing case, whose error record is in that shard's errors/ folder;
#   4. the README's --mem and --cpus-per-task hold under slurmd's memory enforcement
#      (cgroup where it works here, else jobacct_gather's OverMemoryKill), and a request
#      far below the measured peak is killed (so the enforcement is real).
# munged, slurmctld and slurmd are started by hand (no systemd) with everything in a
# temporary folder; their pids are recorded and exactly those are stopped on exit.
# Without SLURM (cannot install it), it says so and fails only with RADX_REQUIRE_SLURM=1.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
START=$(date +%s)
say() { echo "slurm-test: $*"; }
skip() {
  say "SKIPPED: $*"
  if [ "${RADX_REQUIRE_SLURM:-0}" = 1 ]; then exit 1; fi
  exit 0
}

# --- SLURM and munge ---------------------------------------------------------------------
if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then SUDO="sudo -n"; else
      skip "slurm-wlm and munge are not installed and this user cannot install them (not root, no sudo)"
    fi
  fi
  command -v apt-get >/dev/null || skip "slurm-wlm and munge are not installed and there is no apt-get"
  say "installing slurm-wlm and munge"
  if ! { $SUDO apt-get update -qq >/dev/null &&
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
      slurm-wlm munge >/dev/null; }; then
    skip "apt-get install slurm-wlm munge failed"
  fi
fi
[ "$(id -u)" -eq 0 ] || skip "slurmd must run as root here (it starts jobs as their user)"

RADX=${RADX:-$ROOT/target/release/radx}
[ -x "$RADX" ] || cargo build --release --quiet -p radx --bin radx
RADX_DIR=$(cd "$(dirname "$RADX")" && pwd)

T=$(mktemp -d /tmp/radx-slurm.XXXXXX)
PIDS=()
cleanup() {
  local rc=$?
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
  if [ $rc -ne 0 ]; then
    say "FAILED (exit $rc); daemon logs:"
    tail -n 20 "$T"/*.log 2>/dev/null || true
  fi
  rm -rf "$T"
  say "stopped ${#PIDS[@]} daemons (pids ${PIDS[*]:-none}), removed $T; $(($(date +%s) - START)) s in all"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

HOST=$(hostname -s)
mkdir -p "$T/munge" "$T/state" "$T/spool" "$T/work"
chmod 700 "$T/munge"
head -c 1024 /dev/urandom >"$T/munge/munge.key"
chmod 400 "$T/munge/munge.key"
SOCK=$T/munge/munge.socket
munged -F --force --socket="$SOCK" --key-file="$T/munge/munge.key" \
  --pid-file="$T/munge/munged.pid" --seed-file="$T/munge/seed" \
  --log-file="$T/munged.log" 2>>"$T/munged.out" &
PIDS+=($!)

# Ports away from the defaults, so an installed SLURM's are not disturbed.
PORT=$((20000 + $$ % 20000))
CPUS=12 # 3 tasks x the README's 4 CPUs; slurmd is told to trust this (config_overrides)
MEM_MB=$(awk '/MemTotal/ {print int($2 / 1024 / 2)}' /proc/meminfo)
write_conf() { # $1: TaskPlugin, $2: ProctrackType, $3: JobAcctGatherParams
  cat >"$T/slurm.conf" <<EOF
ClusterName=radxtest
SlurmctldHost=$HOST(127.0.0.1)
SlurmctldPort=$PORT
SlurmdPort=$((PORT + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$SOCK
CredType=cred/munge
StateSaveLocation=$T/state
SlurmdSpoolDir=$T/spool
SlurmctldPidFile=$T/slurmctld.pid
SlurmdPidFile=$T/slurmd.pid
SlurmctldLogFile=$T/slurmctld.log
SlurmdLogFile=$T/slurmd.log
ProctrackType=$2
TaskPlugin=$1
JobAcctGatherType=jobacct_gather/linux
JobAcctGatherFrequency=1
JobAcctGatherParams=$3
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=$T/jobcomp.log
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
SlurmdParameters=config_overrides
MpiDefault=none
ReturnToService=2
KillWait=1
MinJobAge=600
InactiveLimit=0
SlurmdTimeout=30
NodeName=$HOST NodeAddr=127.0.0.1 CPUs=$CPUS RealMemory=$MEM_MB State=UNKNOWN
PartitionName=test Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
EOF
  cat >"$T/cgroup.conf" <<EOF
ConstrainRAMSpace=yes
ConstrainSwapSpace=yes
AllowedSwapSpace=0
EOF
}
export SLURM_CONF=$T/slurm.conf

start_slurm() {
  slurmctld -D -i -f "$SLURM_CONF" >>"$T/slurmctld.out" 2>&1 &
  PIDS+=($!)
  slurmd -D -f "$SLURM_CONF" >>"$T/slurmd.out" 2>&1 &
  PIDS+=($!)
  local n=${#PIDS[@]}
  for _ in $(seq 100); do
    kill -0 "${PIDS[n - 1]}" 2>/dev/null && kill -0 "${PIDS[n - 2]}" 2>/dev/null || return 1
    if timeout 3 sinfo -h -N -o %T 2>/dev/null | grep -Eq '^(idle|mixed|allocated)'; then return 0; fi
    sleep 0.2
  done
  return 1
}
stop_slurm() { # stops the last two pids (slurmd, slurmctld) started by start_slurm
  local n=${#PIDS[@]}
  for pid in "${PIDS[n - 1]}" "${PIDS[n - 2]}"; do
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  done
  PIDS=("${PIDS[@]:0:n-2}")
}
for _ in $(seq 50); do [ -S "$SOCK" ] && break; sleep 0.1; done
[ -S "$SOCK" ] || skip "munged did not start: $(tail -n 3 "$T/munged.log" 2>/dev/null)"
ENFORCEMENT="cgroup (task/cgroup, ConstrainRAMSpace)"
write_conf task/cgroup proctrack/cgroup NoShared
if ! start_slurm; then
  say "slurmd with cgroups did not come up here: $(grep -i -m1 fatal "$T/slurmd.log" "$T/slurmctld.log" 2>/dev/null || true)"
  stop_slurm
  rm -rf "$T/state"/* "$T/spool"/*
  ENFORCEMENT="slurmd's jobacct_gather OverMemoryKill (RSS sampled every second)"
  write_conf task/none proctrack/linuxproc OverMemoryKill
  start_slurm || skip "slurmctld/slurmd did not start: $(tail -n 3 "$T/slurmd.log" "$T/slurmctld.log" 2>/dev/null)"
fi
say "cluster up in $(($(date +%s) - START)) s: node $HOST, $CPUS CPUs, memory enforcement: $ENFORCEMENT"

# --- the README's script and the cohort ------------------------------------------------------
W=$T/work
awk '/^```sh$/ {inb = 1; buf = ""; next}
     /^```$/ && inb {inb = 0; if (buf ~ /#SBATCH --array/) {printf "%s", buf; exit}; next}
     inb {buf = buf $0 "\n"}' README.md >"$W/radx-array.sh"
grep -q -- '--shard auto' "$W/radx-array.sh" || { say "README's SLURM script not found or not using --shard auto"; exit 1; }
say "README's array script:"
sed 's/^/    /' "$W/radx-array.sh"
# The cohort the README's script names (cohort.csv, pet.toml in the submit folder): the
# shipped STS PET cases, each listed 10 times under distinct ids, so a task runs long
# enough to be cancelled mid-run.
D=$ROOT/reference-data/cohorts/sts-mini/nifti
cp benches/pyradiomics/settings-pet.toml "$W/pet.toml"
{
  echo "case_id,image,mask"
  for r in $(seq -w 1 10); do
    for c in 002 007 009 011 016 019; do
      echo "STS_${c}_r$r,$D/STS_$c/PET_image.nii.gz,$D/STS_$c/PET_mask.nii.gz"
    done
  done
} >"$W/cohort.csv"
NCASES=60
export PATH=$RADX_DIR:$PATH

"$RADX" batch --cohort "$W/cohort.csv" --settings "$W/pet.toml" --out "$T/unsharded" \
  --threads 2 2>"$T/unsharded.err"
grep "peak memory" "$T/unsharded.err" | sed 's/^/    /'

submit() { # $1: folder, rest: sbatch options; prints the job id; waits unless --wait absent
  local dir=$1; shift
  mkdir -p "$dir"
  cp "$W/radx-array.sh" "$W/cohort.csv" "$W/pet.toml" "$dir/"
  sbatch --parsable --chdir="$dir" --output="$dir/slurm-%A_%a.out" "$@" "$dir/radx-array.sh"
}
task_exit() { # $1 job, $2 task: ExitCode=a:b of the finished task
  scontrol show job "${1}_$2" | grep -o 'ExitCode=[0-9]*:[0-9]*' | head -1
}
provenance_job() { # $1: record; the job id in its scheduler record
  python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r["scheduler"]["job_id"])' "$1"
}

# 1. three tasks, merge, byte-identical
R1=$T/run1
set +e
JOB1=$(submit "$R1" --array=1-3 --wait)
RC=$?
set -e
JOB1=${JOB1%%;*}
[ $RC -eq 0 ] || { say "sbatch --wait exited $RC"; cat "$R1"/slurm-*.out; exit 1; }
for i in 1 2 3; do
  [ "$(task_exit "$JOB1" $i)" = "ExitCode=0:0" ] || { say "task $i: $(task_exit "$JOB1" $i)"; exit 1; }
  grep -q "shard $i/3 (slurm task $i of job $JOB1)" "$R1/slurm-${JOB1}_$i.out"
  python3 - "$R1/results/shard-$i/batch.json" "$i" <<'EOF'
import json, sys
m = json.load(open(sys.argv[1]))
assert m["shard"] == f"{sys.argv[2]}/3", m["shard"]
EOF
done
(cd "$R1" && radx merge results/shard-* --out table.csv)
cmp "$R1/table.csv" "$T/unsharded/features.csv"
say "1. 3 array tasks (exit 0 each), merged: byte-identical to the unsharded run ($NCASES cases, $(wc -l <"$R1/table.csv") rows)"

# 2. one task cancelled mid-run, the script resubmitted
R2=$T/run2
JOB2=$(submit "$R2" --array=1-3)
JOB2=${JOB2%%;*}
CASES2=$R2/results/shard-2/cases
for _ in $(seq 600); do
  n=$(ls "$CASES2" 2>/dev/null | grep -c 'provenance.json$' || true)
  [ "$n" -ge 3 ] && break
  sleep 0.02
done
scancel "${JOB2}_2"
for _ in $(seq 300); do
  squeue -h -j "$JOB2" 2>/dev/null | grep -q . || break
  sleep 0.1
done
FINISHED=$(ls "$CASES2" | grep -c 'provenance.json$' || true)
WANT=$((NCASES / 3))
if [ "$FINISHED" -ge "$WANT" ] || [ -e "$R2/results/shard-2/features.csv" ]; then
  say "task 2 finished before it could be cancelled ($FINISHED of $WANT cases): the test could not interrupt it"
  exit 1
fi
[ "$FINISHED" -ge 1 ]
say "2. task 2 of job $JOB2 cancelled with $FINISHED of $WANT cases finished"
ls "$CASES2" | grep 'provenance.json$' | sort >"$T/finished-before"
JOB3=$(submit "$R2" --array=1-3 --wait)
JOB3=${JOB3%%;*}
for i in 1 2 3; do
  [ "$(task_exit "$JOB3" $i)" = "ExitCode=0:0" ] || { say "resubmitted task $i: $(task_exit "$JOB3" $i)"; exit 1; }
done
# Tasks 1 and 3 had finished: everything kept. Task 2 computed only what was missing.
grep -q "$WANT cases: 0 computed, $WANT kept from an earlier run, 0 failed" "$R2/slurm-${JOB3}_1.out"
grep -q "$WANT cases: $((WANT - FINISHED)) computed, $FINISHED kept from an earlier run, 0 failed" \
  "$R2/slurm-${JOB3}_2.out" || { cat "$R2/slurm-${JOB3}_2.out"; exit 1; }
while read -r rec; do
  [ "$(provenance_job "$CASES2/$rec")" = "$JOB2" ] || { say "$rec was recomputed"; exit 1; }
done <"$T/finished-before"
RECOMPUTED=$(for rec in "$CASES2"/*.provenance.json; do provenance_job "$rec"; done | grep -c "^$JOB3$")
[ "$RECOMPUTED" -eq $((WANT - FINISHED)) ]
(cd "$R2" && radx merge results/shard-* --out table.csv)
cmp "$R2/table.csv" "$T/unsharded/features.csv"
say "   resubmitted as job $JOB3: $FINISHED finished cases kept (provenance still names job $JOB2), $RECOMPUTED computed; merged table byte-identical"

# 3. a failing case: exit 1 for its task, 0 for the others, error record in the shard
R3=$T/run3
mkdir -p "$R3"
submit_failing() {
  cp "$W/radx-array.sh" "$W/pet.toml" "$R3/"
  { head -n 7 "$W/cohort.csv"; echo "broken,$D/STS_002/PET_image.nii.gz,$D/STS_009/PET_mask.nii.gz"; } >"$R3/cohort.csv"
  sbatch --parsable --chdir="$R3" --output="$R3/slurm-%A_%a.out" --array=1-3 --wait "$R3/radx-array.sh"
}
set +e
JOB4=$(submit_failing)
RC=$?
set -e
JOB4=${JOB4%%;*}
# cohort rows 0..6: the 7th case ("broken", position 6) is in shard 6 % 3 + 1 = 1
[ $RC -eq 1 ] || { say "sbatch --wait of the failing job exited $RC, want 1"; exit 1; }
[ "$(task_exit "$JOB4" 1)" = "ExitCode=1:0" ]
[ "$(task_exit "$JOB4" 2)" = "ExitCode=0:0" ]
[ "$(task_exit "$JOB4" 3)" = "ExitCode=0:0" ]
python3 - "$R3/results/shard-1/errors/broken.json" <<'EOF'
import json, sys
e = json.load(open(sys.argv[1]))
assert e["case"] == "broken" and e["stage"] in ("read", "process"), e
assert "STS_009" in e["message"] or "STS_002" in e["message"], e
EOF
say "3. failing case: task 1 exit 1 (error record results/shard-1/errors/broken.json), tasks 2 and 3 exit 0; sbatch --wait exit 1"

# 4. memory: the README's request holds under enforcement; a request far too small is killed
MEM_README=$(grep -o -- '--mem=[0-9]*[MG]' "$W/radx-array.sh" | head -1 | cut -d= -f2)
CPUS_README=$(grep -o -- '--cpus-per-task=[0-9]*' "$W/radx-array.sh" | head -1 | cut -d= -f2)
R4=$T/run4
JOB5=$(submit "$R4" --array=1-3 --wait)
JOB5=${JOB5%%;*}
PEAKS=$(grep -h "peak memory" "$R4"/slurm-*.out | grep -o 'peak memory [0-9]* MiB' | awk '{print $3}' | sort -n | tail -1)
say "4. README request --mem=$MEM_README --cpus-per-task=$CPUS_README held under $ENFORCEMENT: largest task peak $PEAKS MiB"
# A huge single case in a request of 20 MiB: the enforcement must kill it.
R5=$T/run5
mkdir -p "$R5"
cp "$W/radx-array.sh" "$W/pet.toml" "$R5/"
{ echo "case_id,image,mask"; echo "ct,$D/STS_002/CT_image.nii.gz,$D/STS_002/CT_mask.nii.gz"; } >"$R5/cohort.csv"
set +e
JOB6=$(sbatch --parsable --chdir="$R5" --output="$R5/slurm-%A_%a.out" --array=1-1 --mem=20M --wait "$R5/radx-array.sh")
RC=$?
set -e
JOB6=${JOB6%%;*}
STATE=$(scontrol show job "${JOB6}_1" | grep -o 'JobState=[A-Z_]*')
if [ $RC -eq 0 ]; then
  say "   a 20 MiB request was NOT enforced here ($STATE): the README's request was checked under ulimit -v instead"
  KB=$(( ${MEM_README%[MG]} * $( [ "${MEM_README: -1}" = G ] && echo 1048576 || echo 1024) ))
  (ulimit -v "$KB" && cd "$R4" && radx batch --cohort cohort.csv --settings pet.toml --out ulimit \
    --threads "$CPUS_README" 2>/dev/null)
  cmp "$R4/ulimit/features.csv" "$T/unsharded/features.csv"
else
  say "   a 20 MiB request was stopped by the enforcement ($STATE, sbatch exit $RC)"
fi

say "all checks passed in $(($(date +%s) - START)) s"
