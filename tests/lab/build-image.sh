#!/usr/bin/env bash
# Builds a lab host image: a debootstrap rootfs of the Debian mirror with
# systemd as PID 1 and sshd, imported into podman. Called by lab.sh image.
# Usage: build-image.sh FLAVOUR TAG MIRROR   (FLAVOUR: debian12 | debian13 | debian12-arm64)
# debian12-arm64 is an arm64 userland run through qemu-user-static: the machine needs the
# qemu-aarch64 binfmt_misc registration with the F flag (tests/setup.sh makes it).
set -euo pipefail
flavour=$1 tag=$2 mirror=$3
arch=amd64
case "$flavour" in
  debian12) suite=bookworm ;;
  debian13) suite=trixie ;;
  debian12-arm64) suite=bookworm arch=arm64 ;;
  *) echo "unknown image flavour '$flavour' (debian12, debian13, debian12-arm64)" >&2; exit 2 ;;
esac
if [ "$arch" = arm64 ] && ! grep -qs '^flags: .*F' /proc/sys/fs/binfmt_misc/qemu-aarch64; then
  echo "no qemu-aarch64 binfmt_misc registration with the F flag: run tests/setup.sh" >&2; exit 1
fi
t0=$(date +%s)
rootfs=$(mktemp -d /var/tmp/homelab-lab-rootfs.XXXXXX)
trap 'rm -rf "$rootfs"' EXIT
# python3-yaml and openssl serve the k3s test double (tests/k3s_double);
# the roles themselves install whatever else they need.
pkgs=systemd,systemd-sysv,dbus,python3,python3-apt,python3-yaml,sudo,iproute2,iputils-ping,procps,kmod,curl,ca-certificates,gnupg,openssh-server,openssl,iptables,nftables
echo "[build-image] debootstrap $suite ($arch) from $mirror" >&2
debootstrap --arch="$arch" --variant=minbase --include="$pkgs" "$suite" "$rootfs" "$mirror" >/dev/null
cat > "$rootfs/etc/apt/sources.list" <<EOF
deb $mirror $suite main
deb $mirror $suite-updates main
deb ${mirror%/debian}/debian-security $suite-security main
EOF
: > "$rootfs/etc/machine-id"
rm -f "$rootfs/var/lib/dbus/machine-id"
# Units that have no work to do in a container. systemd-binfmt would unregister the
# machine's binfmt_misc entries (they are not namespaced) when a privileged host boots.
masked="systemd-remount-fs.service getty.target console-getty.service
         dev-hugepages.mount sys-fs-fuse-connections.mount systemd-binfmt.service proc-sys-fs-binfmt_misc.automount
         apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer fstrim.timer"
# Under qemu-user these fail for want of syscalls the emulator lacks; their work is done by dpkg already.
[ "$arch" = amd64 ] || masked="$masked systemd-sysusers.service"
# Nor can a unit get a network namespace of its own there (setting it up fails with EIO): the hostname
# and locale services, which hostnamectl and localectl start, run without one.
if [ "$arch" != amd64 ]; then
  for u in systemd-hostnamed systemd-localed; do
    mkdir -p "$rootfs/etc/systemd/system/$u.service.d"
    printf '[Service]\nPrivateNetwork=no\n' > "$rootfs/etc/systemd/system/$u.service.d/lab-emulation.conf"
  done
fi
for u in $masked; do
  ln -sf /dev/null "$rootfs/etc/systemd/system/$u"
done
# sshd host keys are made at first boot, so every host has its own.
rm -f "$rootfs"/etc/ssh/ssh_host_*
mkdir -p "$rootfs/etc/systemd/system/ssh.service.d"
printf '[Service]\nExecStartPre=\nExecStartPre=/usr/bin/ssh-keygen -A\nExecStartPre=/usr/sbin/sshd -t\n' \
  > "$rootfs/etc/systemd/system/ssh.service.d/keygen.conf"
printf 'PermitRootLogin prohibit-password\nPasswordAuthentication no\nUseDNS no\n' \
  > "$rootfs/etc/ssh/sshd_config.d/10-lab.conf"
chroot "$rootfs" apt-get clean
rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/*
# Fresh empty apt lists would make `cache_valid_time` skip the first update.
mkdir -p "$rootfs/var/lib/apt/lists/partial"
touch -d '2000-01-01' "$rootfs/var/lib/apt/lists" "$rootfs/var/lib/apt/lists/partial"
echo lab > "$rootfs/etc/hostname"
tar --numeric-owner -C "$rootfs" -c . | podman import --arch "$arch" \
  --change 'CMD ["/sbin/init"]' --change 'ENV container=podman' \
  --change 'STOPSIGNAL SIGRTMIN+3' - "$tag" >/dev/null 2>&1
echo "[build-image] $tag built in $(( $(date +%s) - t0 ))s" >&2
