#!/usr/bin/env bash
# A real one-node SLURM on this machine, for `soilbeta submit --engine slurm`
# (its tests, and a user who wants to try it on a laptop).
#
#   scripts/slurm-local.sh start    install slurm-wlm and munge when missing, write
#                                   /etc/slurm/slurm.conf, start munged, slurmctld and
#                                   slurmd, and wait until a trivial batch job has run
#   scripts/slurm-local.sh stop     cancel the cluster's jobs, stop the daemons this
#                                   script started (pid files), check nothing is left
#   scripts/slurm-local.sh status   what runs, and sinfo/squeue
#
# Environment:
#   SOILBETA_SLURM_DIR      state, spool, logs and pid files [/var/lib/soilbeta-slurm]
#   SOILBETA_SLURM_TIMEOUT  seconds to wait for the node and the smoke job [90]
#
# Debian 12 ships Slurm 22.05, which reads /etc/slurm/slurm.conf. The file written
# here starts with a marker line; a slurm.conf without it belongs to someone else
# and is never overwritten. No systemd is needed (containers): the daemons are
# started directly. Needs root; a non-root user is asked for sudo. See
# docs/SLURM-LOCAL.md.
set -euo pipefail

cmd="${1:-}"
case "$cmd" in
  start|stop|status) ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac

STATE="${SOILBETA_SLURM_DIR:-/var/lib/soilbeta-slurm}"
TIMEOUT="${SOILBETA_SLURM_TIMEOUT:-90}"
CONF_DIR=/etc/slurm
CONF="$CONF_DIR/slurm.conf"
MARK="# written by soilbeta scripts/slurm-local.sh"
RUN="$STATE/run"
LOG="$STATE/log"
MUNGE_KEY=/etc/munge/munge.key
MUNGE_RUN=/run/munge
MUNGE_LOG=/var/log/munge/munged.log

say() { echo "==> slurm-local: $*"; }
die() { echo "slurm-local: error: $*" >&2; exit 1; }

# The daemons run as root (slurmd must, to start jobs as their users); a user who
# is not root is asked for sudo once, for the whole script.
if [ "$(id -u)" -ne 0 ] && [ "$cmd" != status ]; then
  command -v sudo >/dev/null || die "not root and no sudo: run '$0 $cmd' as root"
  exec sudo --preserve-env=SOILBETA_SLURM_DIR,SOILBETA_SLURM_TIMEOUT "$0" "$@"
fi

node_name() {
  local h
  h="$(hostname -s 2>/dev/null || true)"
  echo "${h:-localhost}"
}
NODE="$(node_name)"

# pid of a daemon this script started, when it is still alive as that program
our_pid() { # name
  local f="$RUN/$1.pid" pid
  [ -s "$f" ] || return 1
  pid="$(tr -dc 0-9 <"$f")"
  [ -n "$pid" ] && [ -d "/proc/$pid" ] || return 1
  [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$1" ] || return 1
  echo "$pid"
}

# pids of a program, whoever started it (pgrep may be missing: procps is optional;
# builtins only, as a machine can have many processes)
pids_of() { # name
  local p c
  for p in /proc/[0-9]*; do
    c=""
    read -r c 2>/dev/null <"$p/comm" || true
    [ "$c" = "$1" ] && echo "${p#/proc/}"
  done
  return 0
}

show_logs() {
  local f
  for f in "$LOG/slurmctld.log" "$LOG/slurmd.log" "$MUNGE_LOG"; do
    [ -s "$f" ] || continue
    echo "--- last lines of $f:" >&2
    # the mpi/pmix lines are noise: Debian's plugin is there without libpmix
    { grep -v -e 'pmix' -e 'MPI: Cannot create context' -e 'Unauthorized credential' "$f" || true; } |
      tail -n 15 >&2
  done
  for f in "$LOG/slurmctld.log" "$LOG/slurmd.log"; do
    [ -s "$f" ] || continue
    { grep -h 'fatal' "$f" || true; } | tail -n 3 | sed "s|^|slurm-local: cause ($(basename "$f")): |" >&2
  done
  return 0
}

STARTING=0
fail() { # message: the reason, then the logs that tell why
  echo "slurm-local: error: $*" >&2
  show_logs
  if [ "$STARTING" = 1 ]; then
    STARTING=0
    say "start failed: stopping what this script started"
    do_stop >&2 || true
  fi
  exit 1
}

install_missing() {
  local want=(slurm-wlm munge) missing=() p
  for p in "${want[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  command -v apt-get >/dev/null || die "missing ${missing[*]} and no apt-get: install Slurm and MUNGE by hand"
  say "installing Debian packages: ${missing[*]}"
  apt-get update -qq
  # policy-rc.d or no systemd: the packages' own service starts are refused or
  # fail harmlessly; this script starts the daemons itself.
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

write_conf() {
  local cpus mem tmp
  cpus="$(nproc)"
  mem="$(awk '/^MemTotal:/ { printf "%d", $2 / 1024 }' /proc/meminfo)"
  [ "${mem:-0}" -gt 0 ] || mem=1024
  mkdir -p "$CONF_DIR" "$STATE/ctld" "$STATE/spool" "$RUN" "$LOG"
  chmod 755 "$STATE" "$STATE/spool"
  chmod 700 "$STATE/ctld"
  if [ -e "$CONF" ] && ! head -n 1 "$CONF" | grep -qxF "$MARK"; then
    die "$CONF exists and was not written by this script; move it away to use the local cluster"
  fi
  tmp="$(mktemp)"
  cat >"$tmp" <<EOF
$MARK
# One node on localhost for soilbeta: no cgroups, no accounting.
ClusterName=soilbeta
SlurmctldHost=$NODE(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
MpiDefault=none
SwitchType=switch/none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
# Without accounting (sacct), a finished job's final state is in two places:
# scontrol show job for MinJobAge seconds, and one line per job in JobCompLoc.
JobCompType=jobcomp/filetxt
JobCompLoc=$LOG/jobcomp.log
MinJobAge=3600
SchedulerType=sched/backfill
# Memory is not a consumable resource, so jobs that ask for none share the node
# (with CR_Core_Memory each one would get all the memory and they would run one at
# a time); every CPU is a slot.
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
MailProg=/bin/true
InactiveLimit=0
KillWait=10
Waittime=0
StateSaveLocation=$STATE/ctld
SlurmdSpoolDir=$STATE/spool
SlurmctldPidFile=$RUN/slurmctld.pid
SlurmdPidFile=$RUN/slurmd.pid
SlurmctldLogFile=$LOG/slurmctld.log
SlurmdLogFile=$LOG/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
NodeName=$NODE NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
  if [ -e "$CONF" ] && cmp -s "$tmp" "$CONF"; then
    rm -f "$tmp"
  else
    if our_pid slurmctld >/dev/null || our_pid slurmd >/dev/null; then
      rm -f "$tmp"
      say "slurm is running with the $CONF it has; 'stop' then 'start' to rewrite it"
      return 0
    fi
    mv "$tmp" "$CONF"
    chmod 644 "$CONF"
    say "wrote $CONF (node $NODE, CPUs=$cpus, RealMemory=$mem MB, state in $STATE)"
  fi
}

munge_works() { munge -n 2>/dev/null | unmunge >/dev/null 2>&1; }

start_munged() {
  if munge_works; then
    if our_pid munged >/dev/null; then
      say "munged already running (pid $(our_pid munged))"
    else
      say "munged already running (not started by this script; left alone)"
    fi
    return 0
  fi
  if [ ! -s "$MUNGE_KEY" ]; then
    say "creating $MUNGE_KEY"
    mungekey --create --keyfile="$MUNGE_KEY"
  fi
  chown munge:munge "$MUNGE_KEY" && chmod 400 "$MUNGE_KEY"
  mkdir -p "$MUNGE_RUN" /var/log/munge /var/lib/munge
  chown munge:munge "$MUNGE_RUN" /var/log/munge /var/lib/munge
  chmod 755 "$MUNGE_RUN"
  rm -f "$MUNGE_RUN/munged.pid"
  runuser -u munge -- /usr/sbin/munged --pid-file="$MUNGE_RUN/munged.pid" </dev/null >/dev/null 2>&1 ||
    fail "munged did not start"
  for _ in $(seq 1 50); do
    munge_works && [ -s "$MUNGE_RUN/munged.pid" ] && break
    sleep 0.1
  done
  munge_works || fail "munged started but 'munge -n | unmunge' fails"
  cp "$MUNGE_RUN/munged.pid" "$RUN/munged.pid"
  say "munged started (pid $(cat "$RUN/munged.pid"))"
}

start_daemon() { # slurmctld|slurmd
  local name="$1" pid
  if pid="$(our_pid "$name")"; then
    say "$name already running (pid $pid)"
    return 0
  fi
  if [ -n "$(pids_of "$name")" ]; then
    local hint="stop it first"
    [ "$(cat /proc/1/comm 2>/dev/null)" = systemd ] && hint="stop it first (systemctl stop $name; systemctl disable $name keeps it from coming back at boot)"
    fail "a $name that this script did not start is running (pid $(pids_of "$name" | tr '\n' ' ')): $hint"
  fi
  rm -f "$RUN/$name.pid"
  [ -s "$LOG/$name.log" ] && mv -f "$LOG/$name.log" "$LOG/$name.log.1"
  # The daemons get /dev/null as stdio: a caller reading our output through a pipe must see it close.
  case "$name" in
    slurmctld) slurmctld -f "$CONF" </dev/null >/dev/null 2>&1 || fail "slurmctld did not start" ;;
    slurmd) slurmd -f "$CONF" -N "$NODE" </dev/null >/dev/null 2>&1 || fail "slurmd did not start" ;;
  esac
  for _ in $(seq 1 100); do
    pid="$(our_pid "$name")" && break
    sleep 0.1
  done
  [ -n "${pid:-}" ] || fail "$name exited right after its start"
  say "$name started (pid $pid)"
}

node_state() { sinfo -h -n "$NODE" -o '%T' 2>/dev/null | head -n 1; }

wait_ready() {
  local t0=$SECONDS st="" n
  while :; do
    for n in slurmctld slurmd; do
      our_pid "$n" >/dev/null || fail "$n died while waiting for node $NODE"
    done
    st="$(node_state || true)"
    case "$st" in
      idle|mixed|allocated|completing) break ;;
    esac
    if [ $((SECONDS - t0)) -ge "$TIMEOUT" ]; then
      fail "node $NODE not up after ${TIMEOUT}s (sinfo state: '${st:-no answer from slurmctld}')"
    fi
    sleep 0.5
  done
  say "node $NODE is $st after $((SECONDS - t0))s"
  # sbatch --wait polls with a growing interval (a 0.1 s job took 10 s to
  # report); submit and poll scontrol instead.
  local t1=$SECONDS id state=""
  id="$(sbatch --parsable -J soilbeta-smoke -p debug -n 1 -t 1 -o /dev/null --chdir=/ \
    --wrap hostname 2>&1)" || fail "sbatch of the smoke job failed: $id"
  id="${id%%;*}"
  while :; do
    state="$(scontrol -o show job "$id" 2>/dev/null | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p')"
    case "$state" in
      COMPLETED) break ;;
      FAILED|CANCELLED|TIMEOUT|NODE_FAIL|OUT_OF_MEMORY|BOOT_FAIL|DEADLINE|PREEMPTED)
        scontrol show job "$id" >&2 || true
        fail "the smoke job $id ended $state" ;;
    esac
    if [ $((SECONDS - t0)) -ge "$TIMEOUT" ]; then
      scontrol show job "$id" >&2 || true
      scancel "$id" 2>/dev/null || true
      fail "the smoke job $id did not complete within ${TIMEOUT}s (state: ${state:-unknown})"
    fi
    sleep 0.2
  done
  say "smoke job $id completed in $((SECONDS - t1))s"
}

do_start() {
  local t0=$SECONDS
  STARTING=1
  [ "$(cat /proc/1/comm 2>/dev/null)" = systemd ] &&
    say "note: systemd is PID 1; this script still starts the daemons itself (not slurmctld.service)"
  install_missing
  write_conf
  start_munged
  start_daemon slurmctld
  start_daemon slurmd
  wait_ready
  STARTING=0
  say "slurm is up in $((SECONDS - t0))s: sinfo, sbatch, squeue, scontrol show job work; stop with '$0 stop'"
}

stop_pid() { # name pid
  local name="$1" pid="$2"
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do
    [ -d "/proc/$pid" ] || break
    sleep 0.1
  done
  if [ -d "/proc/$pid" ]; then
    say "$name (pid $pid) ignored SIGTERM for 10s: SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    sleep 0.2
  fi
}

do_stop() {
  local pid name
  # Jobs first, while the controller can still cancel them, so that no
  # slurmstepd or job process outlives slurmd.
  if our_pid slurmctld >/dev/null && our_pid slurmd >/dev/null; then
    local jobs
    jobs="$(squeue -h -o '%A' 2>/dev/null | tr '\n' ' ' || true)"
    if [ -n "${jobs// /}" ]; then
      say "cancelling jobs: $jobs"
      # shellcheck disable=SC2086
      scancel $jobs 2>/dev/null || true
      for _ in $(seq 1 60); do
        [ -z "$(squeue -h -t R,CG -o '%A' 2>/dev/null)" ] && break
        sleep 0.5
      done
    fi
  fi
  for name in slurmd slurmctld munged; do
    if pid="$(our_pid "$name")"; then
      stop_pid "$name" "$pid"
      say "$name stopped (pid $pid)"
    fi
    rm -f "$RUN/$name.pid"
  done
  # A job step whose slurmd is gone is an orphan of this cluster (a foreign
  # slurmd would have been refused at start).
  if [ -z "$(pids_of slurmd)" ]; then
    for pid in $(pids_of slurmstepd); do
      say "killing leftover slurmstepd (pid $pid)"
      kill -KILL "$pid" 2>/dev/null || true
    done
  fi
  local left=""
  for name in slurmctld slurmd slurmstepd munged; do
    for pid in $(pids_of "$name"); do left+="$name($pid) "; done
  done
  if [ -n "$left" ]; then
    say "still running, not started by this script: $left"
  else
    say "stopped: no slurm or munge process is left"
  fi
}

do_status() {
  local name pid rc=0
  for name in munged slurmctld slurmd; do
    if pid="$(our_pid "$name")"; then
      echo "$name: running (pid $pid, started by this script)"
    elif [ -n "$(pids_of "$name")" ]; then
      echo "$name: running (pid $(pids_of "$name" | tr '\n' ' '), not started by this script)"
    else
      echo "$name: not running"; rc=3
    fi
  done
  if command -v sinfo >/dev/null && [ $rc -eq 0 ]; then
    sinfo || rc=3
    squeue || true
  fi
  return $rc
}

case "$cmd" in
  start) do_start ;;
  stop) do_stop ;;
  status) do_status ;;
esac
