#!/usr/bin/env bash
# ansible-test sanity on a copy of the collection placed under
# ansible_collections/homelab/k3s, as ansible-test requires.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
WORK=$(mktemp -d /tmp/homelab-sanity.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
DEST=$WORK/ansible_collections/homelab/k3s
mkdir -p "$DEST"
rsync -a --exclude .git --exclude .venv --exclude .lab --exclude .cache --exclude collections \
  --exclude tests/output --exclude '__pycache__' --exclude .pytest_cache --exclude .ruff_cache \
  "$ROOT/" "$DEST/"
# ansible-test reads the file list from git when there is a repository.
git -C "$DEST" init -q && git -C "$DEST" add -A
# The pip bootstrap ansible-test would download (see get_pip.py).
for v in 24_2 25_3; do
  mkdir -p ~/.ansible/test/cache
  cp "$ROOT/tests/sanity/get_pip.py" ~/.ansible/test/cache/get_pip_$v.py
done
cd "$DEST"
"$ROOT/.venv/bin/ansible-test" sanity --venv --python 3.11 --color no "$@"
