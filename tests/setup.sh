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

# The lab images: LAB_IMAGES, else debian12 and debian13, and debian12-arm64 when a scenario that will
# run (MOLECULE_SCENARIOS, else molecule/scenarios.txt) has an arm64 host. Its userland runs through
# qemu-user-static. The binfmt_misc entry is made here, with the F flag so the kernel keeps the
# interpreter open for containers; lab images mask systemd-binfmt, whose start would clear the
# machine's entries.
if [ -z "${LAB_IMAGES:-}" ]; then
  LAB_IMAGES="debian12 debian13"
  for scenario in ${MOLECULE_SCENARIOS:-$(cat molecule/scenarios.txt)}; do
    if grep -qs '^ *image: debian12-arm64$' "molecule/$scenario/molecule.yml"; then
      LAB_IMAGES="$LAB_IMAGES debian12-arm64"
      break
    fi
  done
fi
if [[ " $LAB_IMAGES " == *" debian12-arm64 "* ]]; then
  if ! dpkg-query -W -f='${Status}' qemu-user-static 2>/dev/null | grep -q 'ok installed'; then
    apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends qemu-user-static >/dev/null
  fi
  mountpoint -q /proc/sys/fs/binfmt_misc || mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
  [ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ] || cat /usr/lib/binfmt.d/qemu-aarch64.conf > /proc/sys/fs/binfmt_misc/register
  stamp "qemu-aarch64 binfmt_misc entry"
fi

# debian12-arm64 takes 3.5 minutes on 2 idle cores (debootstrap under emulation; 8 minutes at load 3 to 6), once.
for flavour in $LAB_IMAGES; do
  bash tests/lab/lab.sh image "$flavour" >/dev/null
done
stamp "lab images"
