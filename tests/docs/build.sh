#!/usr/bin/env bash
# Builds the documentation site: the plugins' and roles' own documentation (antsibull-docs) plus the
# Markdown pages of docs/ and the README, with Sphinx, treating every warning as an error.
#   tests/docs/build.sh            -> tests/output/docs/html/index.html
#   DOCS_OUT=/tmp/site tests/docs/build.sh
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
[ -x .venv/bin/sphinx-build ] && PATH=$ROOT/.venv/bin:$PATH
OUT=${DOCS_OUT:-$ROOT/tests/output/docs}
SRC=$OUT/src
export ANSIBLE_COLLECTIONS_PATH=$ROOT/collections ANSIBLE_NOCOLOR=1
t0=$(date +%s)

# The documentation in the plugins and the roles' argument specs must be valid first.
antsibull-docs lint-collection-docs --plugin-docs .

rm -rf "$SRC" "$OUT/html"
mkdir -p "$SRC"
chmod og-w "$SRC"
antsibull-docs --config-file docs/site/antsibull-docs.cfg collection \
  --use-current --dest-dir "$SRC" homelab.k3s >/dev/null
python3 docs/site/prepare.py "$SRC"
sphinx-build -b html -W --keep-going -q -c docs/site "$SRC" "$OUT/html"

echo "site: $OUT/html/index.html ($(find "$OUT/html" -name '*.html' | wc -l) pages, $(( $(date +%s) - t0 ))s)"
