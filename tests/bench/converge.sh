#!/usr/bin/env bash
# Converge benchmark: times a fresh and a no-op site.yml on N lab hosts, with
# profile_tasks, and prints a table of wall times, per-role sums and the
# slowest tasks (medians over the runs). Every fresh run gets new lab hosts.
#
#   tests/bench/converge.sh [--hosts 3[,6,12]] [--runs 3] [--peer DIR] [--variant NAME=ENV ...]
#                           [--net bench] [--out tests/output/bench] [--report-only] [--keep]
#
#   --hosts    sizes to measure; 1 server below 6 hosts, 3 servers (embedded etcd) from 6
#   --runs     fresh + no-op pairs per size and variant (medians are reported)
#   --peer     a checkout of k3s-io/k3s-ansible, run offline on the same hosts
#              (airgap_dir with the same k3s binary and the upstream install
#              script, which must be in $BENCH_K3S_INSTALL_SH)
#   --keep     leave the last size's hosts up (to repeat a no-op run by hand)
#   --variant  another run of this collection with extra environment, such as
#              mitogen=ANSIBLE_STRATEGY=mitogen_linear,ANSIBLE_STRATEGY_PLUGINS=/path
#
# Variants are alternated within each run (A B A B ...) so that a busy machine
# slows them alike; the report gives medians with min-max and ratios.
# The k3s binary is the test double (tests/k3s_double) unless
# K3S_LAB_FILE_DIR holds a real release layout.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
SIZES=3 RUNS=3 PEER="" NET=bench OUT=$ROOT/tests/output/bench REPORT_ONLY=0 KEEP=0
VARIANTS=("homelab=")
VERSION=${K3S_LAB_VERSION:-v1.31.4+k3s1}
while [ $# -gt 0 ]; do
  case "$1" in
    --hosts) SIZES=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --peer) PEER=$(cd "$2" && pwd); shift 2 ;;
    --variant) VARIANTS+=("$2"); shift 2 ;;
    --net) NET=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    --report-only) REPORT_ONLY=1; shift ;;
    --keep) KEEP=1; shift ;;
    *) sed -n '2,25p' "$0" >&2; exit 2 ;;
  esac
done
[ -z "$PEER" ] || VARIANTS+=("peer=")
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
PYTHON=${PYTHON:-$ROOT/.venv/bin/python}
LAB="bash $ROOT/tests/lab/lab.sh"
eval "$($LAB env)"
export ANSIBLE_COLLECTIONS_PATH=$ROOT/collections PY_COLORS=0 ANSIBLE_FORCE_COLOR=0 NO_COLOR=1 ANSIBLE_NOCOLOR=1
export ANSIBLE_CALLBACKS_ENABLED=ansible.posix.profile_tasks PROFILE_TASKS_TASK_OUTPUT_LIMIT=all COLUMNS=200
# Forks cover the largest size, so the host count, not the fork limit, shapes the curve.
export ANSIBLE_FORKS=${ANSIBLE_FORKS:-12}

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

binaries() {
  if [ -n "${K3S_LAB_FILE_DIR:-}" ]; then
    BIN_DIR=$K3S_LAB_FILE_DIR
  else
    BIN_DIR=$OUT/k3s-double
    # `k3s kubectl` on the hosts runs the real kubectl of requirements-dev.txt.
    [ -x "$BIN_DIR/k3s" ] || "$PYTHON" tests/k3s_double/build.py --version "$VERSION" --out "$BIN_DIR" \
      --kubectl "$(dirname "$PYTHON")/kubectl" >/dev/null
  fi
  if [ -n "$PEER" ]; then
    [ -f "${BENCH_K3S_INSTALL_SH:-}" ] || { echo "--peer needs BENCH_K3S_INSTALL_SH: the k3s install script (get.k3s.io)" >&2; exit 2; }
    mkdir -p "$OUT/peer-airgap"
    cp "$BIN_DIR/k3s" "$OUT/peer-airgap/k3s"
    install -m 0755 "$BENCH_K3S_INSTALL_SH" "$OUT/peer-airgap/k3s-install.sh"
  fi
}

# inventory SIZE DIR VARIANT: groups and settings for this collection or the peer.
inventory() {
  local size=$1 dir=$2 variant=$3 servers=1 i
  [ "$size" -lt 6 ] || servers=3
  $LAB inventory --net "$NET" > "$dir/lab.yml"
  {
    echo "k3s_cluster:"
    echo "  children:"
    echo "    server:"
    echo "      hosts:"
    for i in $(seq 1 "$servers"); do echo "        bench-$i:"; done
    echo "    agent:"
    echo "      hosts:"
    for i in $(seq $((servers + 1)) "$size"); do echo "        bench-$i:"; done
    echo "  vars:"
    if [ "$variant" = peer ]; then
      echo "    k3s_version: $VERSION"
      echo "    token: bench-$(date +%s)"
      echo "    api_endpoint: \"{{ hostvars[groups['server'][0]]['ansible_host'] }}\""
      echo "    airgap_dir: $OUT/peer-airgap"
      echo "    kubeconfig: $dir/kubeconfig"
    else
      echo "    k3s_version: $VERSION"
      echo "    k3s_source: file"
      echo "    k3s_file_dir: $BIN_DIR"
      # Lab hosts cannot raise their hard limits (no CAP_SYS_RESOURCE).
      echo "    k3s_service_limits: {LimitNOFILE: 16384, LimitNPROC: 16384}"
      echo "    server_kubeconfig_dest: $dir/kubeconfig"
      echo "    server_kubeconfig_name: bench"
      echo "    apps_enabled: []"
    fi
  } > "$dir/hosts.yml"
}

# play DIR PHASE VARIANT: one timed ansible-playbook run; the wall time goes to DIR/PHASE.time.
play() {
  local dir=$1 phase=$2 variant=$3 spec playbook t0 t1 rc=0
  local -a env_extra=()
  for spec in "${VARIANTS[@]}"; do
    if [ "${spec%%=*}" = "$variant" ] && [ -n "${spec#*=}" ]; then
      IFS=, read -r -a env_extra <<< "${spec#*=}"
    fi
  done
  playbook=$ROOT/site.yml
  if [ "$variant" = peer ]; then
    playbook=$PEER/playbooks/site.yml
    env_extra+=("ANSIBLE_ROLES_PATH=$PEER/roles")
  fi
  t0=$(date +%s.%N)
  env "${env_extra[@]}" "$ROOT/.venv/bin/ansible-playbook" -i "$dir/lab.yml" -i "$dir/hosts.yml" "$playbook" \
    > "$dir/$phase.log" 2>&1 || rc=$?
  t1=$(date +%s.%N)
  echo "$t0 $t1 $rc" > "$dir/$phase.time"
  [ "$rc" -eq 0 ] || log "$variant $phase failed (rc=$rc): $dir/$phase.log"
  return 0
}

if [ "$REPORT_ONLY" -eq 0 ]; then
  binaries
  [ "$KEEP" -eq 1 ] || trap '$LAB down --net "$NET" >/dev/null 2>&1 || true' EXIT
  for size in ${SIZES//,/ }; do
    for run in $(seq 1 "$RUNS"); do
      for spec in "${VARIANTS[@]}"; do
        variant=${spec%%=*}
        dir=$OUT/${size}h/$variant/run$run
        rm -rf "$dir"; mkdir -p "$dir"
        $LAB down --net "$NET" >/dev/null 2>&1 || true
        # shellcheck disable=SC2046 # one host name per word
        $LAB up $(for i in $(seq 1 "$size"); do echo "bench-$i"; done) --net "$NET" >/dev/null 2>&1
        inventory "$size" "$dir" "$variant"
        log "$size hosts, $variant, run $run: fresh"
        play "$dir" fresh "$variant"
        log "$size hosts, $variant, run $run: no-op"
        play "$dir" noop "$variant"
      done
    done
  done
fi
"$PYTHON" tests/bench/converge_report.py "$OUT"
