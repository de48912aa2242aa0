#!/usr/bin/env bash
# Installs what the lab and the tests need on a fresh Debian 12 machine:
# podman and debootstrap (tests/lab/lab.sh setup), the pinned Python tools in
# .venv, and the lab images. Idempotent: a second run reuses everything.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
t0=$(date +%s)
stamp() { echo "[setup] $(( $(date +%s) - t0 ))s $*"; }

bash tests/lab/lab.sh setup
stamp "packages and podman config"

want=$(sha256sum requirements-dev.txt | cut -c1-16)
if [ ! -x .venv/bin/ansible-playbook ] || [ "$(cat .venv/.requirements 2>/dev/null)" != "$want" ]; then
  python3 -m venv .venv
  .venv/bin/pip install -q --upgrade pip >/dev/null
  .venv/bin/pip install -q -r requirements-dev.txt
  echo "$want" > .venv/.requirements
fi
stamp "python venv"

for flavour in ${LAB_IMAGES:-debian12 debian13}; do
  bash tests/lab/lab.sh image "$flavour" >/dev/null
done
stamp "lab images"
