#!/usr/bin/env bash
# The homelab.k3s lab: real systemd hosts as rootful podman containers built
# from a debootstrap rootfs of the Debian mirror (no registry is needed).
#
#   tests/lab/lab.sh setup                 packages, podman config, ssh key
#   tests/lab/lab.sh image [debian12|debian13]   build the image once (cached)
#   tests/lab/lab.sh up NAME... [--image TAG] [--net NET] [--volume SRC:DST[:ro]]
#                                          start hosts (a fixed address per name; a relative SRC is
#                                          of the repository, e.g. a board fixture over /sys/firmware)
#   tests/lab/lab.sh down [--net NET]      remove the hosts of a network
#   tests/lab/lab.sh inventory [--net NET] print a YAML inventory of the hosts
#   tests/lab/lab.sh env                   print the exports the lab needs
#
# State lives in .lab/ at the repository root (ssh key, containers.conf).
set -euo pipefail

LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$LAB_DIR/../.." && pwd)
STATE=${LAB_STATE:-$ROOT/.lab}
NET=${LAB_NET:-homelab-lab}
# The image tag carries a hash of the recipe: a change to it rebuilds the image.
RECIPE_HASH=$(sha256sum "$LAB_DIR/build-image.sh" | cut -c1-10)
export CONTAINERS_CONF=$STATE/containers.conf

log() { printf '[lab %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

image_tag() { echo "localhost/homelab-k3s-lab:${1:-debian12}-$RECIPE_HASH"; }

mirror() {
  local m
  # LAB_MIRROR: the Debian mirror to build from on a machine whose apt sources are not Debian's.
  [ -z "${LAB_MIRROR:-}" ] || { echo "$LAB_MIRROR"; return; }
  m=$(grep -hE '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}' | grep -v security | head -1 || true)
  [ -n "$m" ] || m=$(grep -hE '^deb ' /etc/apt/sources.list 2>/dev/null | awk '{print $2}' | head -1 || true)
  echo "${m:-http://deb.debian.org/debian}"
}

cmd_setup() {
  local need=() p
  for p in podman runc uidmap fuse-overlayfs slirp4netns netavark aardvark-dns \
           containernetworking-plugins debootstrap openssh-client rsync git shellcheck; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || need+=("$p")
  done
  if [ ${#need[@]} -gt 0 ]; then
    log "installing ${need[*]}"
    apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null
  fi
  mkdir -p "$STATE/ssh"
  # podman asks for nofile/nproc limits this machine's root cannot raise
  # (no CAP_SYS_RESOURCE); crun refuses the cgroup v1 hybrid layout: use runc.
  local hn hu
  hn=$(ulimit -Hn); hu=$(ulimit -Hu)
  [ "$hn" = unlimited ] && hn=1048576
  [ "$hu" = unlimited ] && hu=32768
  [ "$hu" -gt 32768 ] && hu=32768
  cat > "$STATE/containers.conf" <<EOF
[containers]
default_ulimits = ["nofile=$hn:$hn", "nproc=$hu:$hu"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
EOF
  [ -f "$STATE/ssh/id_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C homelab-k3s-lab -f "$STATE/ssh/id_ed25519"
  install -m 0644 "$STATE/ssh/id_ed25519.pub" "$STATE/ssh/authorized_keys"
  log "setup ok ($STATE)"
}

cmd_image() {
  local flavour=${1:-debian12} tag
  tag=$(image_tag "$flavour")
  if [ -z "${FORCE:-}" ] && podman image exists "$tag"; then
    log "image $tag cached"; echo "$tag"; return
  fi
  "$LAB_DIR/build-image.sh" "$flavour" "$tag" "$(mirror)"
  echo "$tag"
}

parse_net() {
  while [ $# -gt 0 ]; do
    case "$1" in
      --net) NET=$2; shift 2 ;;
      --image) IMAGE=$2; shift 2 ;;
      --volume) VOLUMES+=(-v "$(volume_path "$2")"); shift 2 ;;
      *) NAMES+=("$1"); shift ;;
    esac
  done
}

# SRC:DST[:options] with a relative SRC taken from the repository root.
volume_path() {
  case "$1" in
    /*) echo "$1" ;;
    *) echo "$ROOT/$1" ;;
  esac
}

cmd_up() {
  NAMES=(); IMAGE=""; VOLUMES=()
  parse_net "$@"
  [ ${#NAMES[@]} -gt 0 ] || { echo "usage: lab.sh up NAME... [--image TAG] [--net NET] [--volume SRC:DST[:ro]]" >&2; exit 2; }
  [ -n "$IMAGE" ] || IMAGE=$(cmd_image debian12)
  podman network exists "$NET" || podman network create "$NET" >/dev/null
  local n t0; t0=$(date +%s)
  for n in "${NAMES[@]}"; do
    if podman container exists "$n"; then
      podman start "$n" >/dev/null
      continue
    fi
    # --no-hosts: /etc/hosts stays a plain file the base role can manage.
    # --ip: a fixed address per host name, kept across stop/start and rebuilds.
    podman run -d --name "$n" --hostname "$n" --network "$NET" --ip "$(fixed_ip "$n")" \
      --privileged --systemd=always --no-hosts \
      --label homelab-lab="$NET" \
      -v "$STATE/ssh/authorized_keys:/root/.ssh/authorized_keys:ro" "${VOLUMES[@]}" \
      "$IMAGE" >/dev/null
  done
  for n in "${NAMES[@]}"; do wait_ssh "$n"; done
  log "${#NAMES[@]} host(s) up on $NET in $(( $(date +%s) - t0 ))s"
}

# The fixed address of a host: inside the network's own subnet (podman picked it when it made the
# network), at an offset of 10-239 derived from the name, moved on past addresses already given out.
# .lab/addresses/<network> remembers them, so a host keeps its address across stop/start and rm + run
# of the same name; "down" forgets them with the network. .240 and above stay free (the k3s-ha
# scenario puts the API virtual IP at .250).
fixed_ip() {
  local subnet book
  subnet=$(podman network inspect "$NET" --format '{{range .Subnets}}{{.Subnet}} {{end}}' | awk '{print $1}')
  book="$STATE/addresses/$NET"
  mkdir -p "$STATE/addresses"
  python3 - "$book" "$subnet" "$1" <<'PY'
import hashlib, ipaddress, os, sys
book, subnet, name = sys.argv[1:4]
net = ipaddress.ip_network(subnet, strict=False)
given = {}
if os.path.exists(book):
    with open(book) as handle:
        lines = handle.read().split()
    if lines[:1] == [subnet]:
        given = dict(zip(lines[1::2], lines[2::2]))
if name not in given:
    start = int(hashlib.sha256(name.encode()).hexdigest(), 16) % 230
    taken = set(given.values())
    for step in range(230):
        address = str(net.network_address + 10 + (start + step) % 230)
        if address not in taken:
            given[name] = address
            break
    else:
        sys.exit(f"no free address left in {net}")
    with open(book + ".tmp", "w") as handle:
        handle.write(subnet + "\n" + "".join(f"{k} {v}\n" for k, v in sorted(given.items())))
    os.replace(book + ".tmp", book)
print(given[name])
PY
}

host_ip() {
  podman inspect -f "{{ (index .NetworkSettings.Networks \"$NET\").IPAddress }}" "$1"
}

wait_ssh() {
  local ip
  ip=$(host_ip "$1")
  for _ in $(seq 1 120); do
    if ssh -q -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
        -o ConnectTimeout=2 -i "$STATE/ssh/id_ed25519" "root@$ip" true 2>/dev/null; then
      return 0
    fi
    sleep 0.5
  done
  echo "host $1 ($ip) did not answer on ssh" >&2
  return 1
}

cmd_down() {
  NAMES=(); parse_net "$@"
  local ids
  ids=$(podman ps -aq --filter "label=homelab-lab=$NET")
  # shellcheck disable=SC2086 # one container id per word
  # A container that is still stopping can make the first removal fail: try again.
  [ -z "$ids" ] || podman rm -f -t 2 $ids >/dev/null 2>&1 || { sleep 2; podman rm -f -t 2 $ids >/dev/null; }
  ! podman network exists "$NET" || podman network rm "$NET" >/dev/null
  rm -f "$STATE/addresses/$NET"
  log "network $NET removed"
}

cmd_inventory() {
  NAMES=(); parse_net "$@"
  local n
  echo "all:"
  echo "  vars:"
  echo "    ansible_user: root"
  echo "    ansible_ssh_private_key_file: $STATE/ssh/id_ed25519"
  echo "    ansible_ssh_common_args: -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null"
  echo "  hosts:"
  for n in $(podman ps --filter "label=homelab-lab=$NET" --format '{{.Names}}' | sort); do
    echo "    $n: {ansible_host: $(host_ip "$n")}"
  done
}

case "${1:-}" in
  setup) shift; cmd_setup "$@" ;;
  image) shift; cmd_image "$@" ;;
  up) shift; cmd_up "$@" ;;
  down) shift; cmd_down "$@" ;;
  inventory) shift; cmd_inventory "$@" ;;
  env) echo "export CONTAINERS_CONF=$STATE/containers.conf" ;;
  *) sed -n '2,15p' "$0" >&2; exit 2 ;;
esac
