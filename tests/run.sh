#!/usr/bin/env bash
# Everything CI runs, in order: setup, ruff, yamllint, ansible-lint, mypy,
# ansible-test sanity, unit tests, then the molecule scenarios on lab hosts.
# Usage: tests/run.sh [STEP...]   (steps: lint sanity unit packaging consumer docs molecule negative bench; default all)
# MOLECULE_SCENARIOS="base k3s-single" limits the scenarios.
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT" || exit 1
export PY_COLORS=0 ANSIBLE_FORCE_COLOR=0 NO_COLOR=1 ANSIBLE_NOCOLOR=1
bash tests/setup.sh || { echo "setup failed"; exit 1; }
# shellcheck disable=SC1091
. .venv/bin/activate
eval "$(bash tests/lab/lab.sh env)"
export ANSIBLE_COLLECTIONS_PATH=$ROOT/collections

steps=("$@")
[ ${#steps[@]} -gt 0 ] || steps=(lint sanity unit packaging consumer docs molecule negative bench)
scenarios=${MOLECULE_SCENARIOS:-$(cat molecule/scenarios.txt)}
passed=0 failed=0 failures=()
LOGS=$ROOT/tests/output/logs
mkdir -p "$LOGS"

run() {
  local label=$1; shift
  local t0 rc
  t0=$(date +%s)
  echo "=== $label"
  "$@" > "$LOGS/$label.log" 2>&1
  rc=$?
  if [ $rc -eq 0 ]; then
    passed=$((passed + 1)); echo "--- ok     $label ($(( $(date +%s) - t0 ))s)"
  else
    failed=$((failed + 1)); failures+=("$label")
    # pytest's own failure lines first: a verbose ansible log would hide them in a plain tail.
    grep -E '^(E  |FAILED |ERROR |[^ ]+\.py:[0-9]+: )' "$LOGS/$label.log" | head -n 80
    tail -n 40 "$LOGS/$label.log"
    echo "--- FAILED $label ($(( $(date +%s) - t0 ))s, rc=$rc, log tests/output/logs/$label.log)"
  fi
}

for step in "${steps[@]}"; do
  case "$step" in
    lint)
      run ruff bash -c 'ruff check . && ruff format --check .'
      run yamllint yamllint --strict .
      run ansible-lint ansible-lint --offline
      # Types of plugins/, imported as the collection (pyproject.toml [tool.mypy]).
      run mypy bash -c 'cd collections && mypy --config-file ../pyproject.toml -p ansible_collections.homelab.k3s.plugins'
      ;;
    sanity) run ansible-test-sanity bash tests/sanity/run.sh ;;
    unit) run pytest pytest -q -p no:cacheprovider tests/unit ;;
    packaging) run packaging-and-awx pytest -q -p no:cacheprovider tests/packaging tests/awx ;;
    # The artifact on ansible-core and the listed libraries only, lab hosts on the network `consumer`.
    consumer) run consumer pytest -q -p no:cacheprovider tests/consumer ;;
    docs) run docs-site bash tests/docs/build.sh ;;
    molecule)
      for s in $scenarios; do run "molecule-$s" molecule test -s "$s"; done
      ;;
    negative) run verify-fails-unconverged pytest -q -p no:cacheprovider tests/integration ;;
    # A report, not a gate on time: fresh and no-op site.yml on 3 lab hosts, once (docs/performance.md).
    bench)
      run bench bash tests/bench/converge.sh --hosts 3 --runs 1 --out tests/output/bench
      sed -n '/^## /,$p' "$LOGS/bench.log"
      ;;
    *) echo "unknown step $step"; exit 2 ;;
  esac
done

echo
[ $failed -eq 0 ] || echo "failed: ${failures[*]}"
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
