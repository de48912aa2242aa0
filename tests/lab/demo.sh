#!/usr/bin/env bash
# The built-in lab: three lab hosts (one server, two agents) and site.yml on them,
# with a few platform apps (cert-manager, monitoring, whoami).
#
#   tests/lab/demo.sh up     set up the machine, start the hosts, run site.yml
#   tests/lab/demo.sh down   remove the hosts
#
# Offline the k3s binary is the k3s test double (tests/k3s_double), installed
# through the roles' airgap path (k3s_source: file). K3S_LAB_SOURCE=release
# installs the real k3s from its GitHub release instead (needs internet);
# K3S_LAB_FILE_DIR=<dir> installs a real k3s binary from a directory in the
# release layout (k3s, sha256sum-amd64.txt); K3S_LAB_VERSION names its version.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
NET=homelab-demo
DEMO=$ROOT/.lab/demo
HOSTS=(demo-server1 demo-agent1 demo-agent2)

up() {
  LAB_IMAGES=debian12 bash tests/setup.sh
  # shellcheck disable=SC1091
  . .venv/bin/activate
  eval "$(bash tests/lab/lab.sh env)"
  mkdir -p "$DEMO"
  local version source=${K3S_LAB_SOURCE:-file} files=${K3S_LAB_FILE_DIR:-} double=false
  version=${K3S_LAB_VERSION:-$(sed -n 's/^k3s_version: *//p' roles/k3s/defaults/main.yml 2>/dev/null || true)}
  version=${version:-v1.36.4+k3s1}
  if [ "$source" = file ] && [ -z "$files" ]; then
    double=true files=$DEMO/k3s-double
    python3 tests/k3s_double/build.py --version "$version" --out "$files" --kubectl .venv/bin/kubectl >/dev/null
  fi
  bash tests/lab/lab.sh up "${HOSTS[@]}" --net "$NET"
  {
    bash tests/lab/lab.sh inventory --net "$NET"
    cat <<EOF
  children:
    k3s_cluster:
      children:
        server: {hosts: {demo-server1: {}}}
        agent: {hosts: {demo-agent1: {}, demo-agent2: {}}}
      vars:
        k3s_version: "$version"
        k3s_source: $source
        k3s_file_dir: ${files:-$DEMO/k3s-double}
        server_kubeconfig_dest: $DEMO/kubeconfig
        # The demo's platform: certificates from a self-signed CA, monitoring with the alert
        # rules, and whoami behind the Traefik k3s ships. https://<app>.k3s.local
        apps_enabled: [cert-manager, cert-manager-issuers, kube-prometheus-stack, monitoring-rules, whoami]
EOF
  } > "$DEMO/hosts.yml"
  if [ "$double" = true ]; then
    # The double installs a chart by applying its fixture (CRDs, a workload), as a helm job would.
    ANSIBLE_COLLECTIONS_PATH=$ROOT/collections ansible server -i "$DEMO/hosts.yml" -m ansible.builtin.copy \
      -a "src=$ROOT/tests/k3s_double/chart_fixtures/ dest=/etc/rancher/k3s-double/charts/ mode=0644 directory_mode=0755" \
      >/dev/null
  fi
  ANSIBLE_COLLECTIONS_PATH=$ROOT/collections ansible-playbook -i "$DEMO/hosts.yml" site.yml
  echo
  echo "inventory:  $DEMO/hosts.yml"
  if [ "$double" = true ]; then
    echo "k3s:        the k3s test double $version (offline lab; K3S_LAB_SOURCE=release for the real k3s)"
  fi
  echo "tear down:  tests/lab/demo.sh down"
}

case "${1:-}" in
  up) up ;;
  down) bash tests/lab/lab.sh down --net "$NET" ;;
  *) sed -n '2,12p' "$0" >&2; exit 2 ;;
esac
