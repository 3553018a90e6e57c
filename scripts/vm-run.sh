#!/usr/bin/env bash
# vm-run.sh [--rw DIR] CMD [ARGS...]: run one command in a throw-away pure cgroup v2 guest.
#
# This host is hybrid: its cgroup2 hierarchy has no memory, pids, cpu or io controller, so what
# phase 4 does with them can only be tested in a machine of its own. vm-run.sh boots Debian's
# kernel under qemu with `cgroup_no_v1=all`, so every controller is on the one cgroup2 mount at
# /sys/fs/cgroup and enabled in the root's subtree_control, as systemd leaves it. The guest's root
# filesystem is the host's / shared read-only over 9p, under a tmpfs overlay: the guest sees every
# host file (the build, bats, the rootfs cache) and whatever it writes is gone at poweroff.
#
# CMD runs as root, in the host's current directory and with the host's environment. Its stdout
# and stderr stream to ours. The guest also has a 256 MiB virtio disk reading zeroes at /dev/vda,
# for io.max tests.
#
#   --rw DIR   share the host directory DIR read-write at the same path: the one place where the
#              guest's writes reach the host (vm-test.sh gets its TAP files out this way).
#
# Exit status: CMD's; 125 when the VM itself failed (the guest console is then printed to stderr);
# 130 when interrupted.
#
# Needs root (qemu's 9p export keeps file owners with security_model=passthrough). Installs
# qemu-system-x86, busybox-static and xz-utils with apt-get when missing. The kernel is fetched the
# first time with `apt-get download linux-image-amd64`, unpacked into the cache and never
# installed: nothing goes to /boot.
#
# Environment:
#   RUNG_VM_MEM=1024       guest memory, MiB
#   RUNG_VM_CPUS=2         vCPUs (multi-threaded TCG runs them in parallel)
#   RUNG_VM_TIMEOUT=1800   seconds before the VM is killed (exit 125)
#   RUNG_VM_CONSOLE=0      1: stream the guest kernel console to stderr
#   RUNG_VM_CACHE=/var/cache/rung-vm   the kernel, its modules and the initramfs
#
# Speed: /dev/kvm here cannot run a stock kernel (no vmx/svm flag in /proc/cpuinfo), so qemu
# emulates the CPU (TCG). Booting takes about 3 s, but fork+exec is about 40x slower than on the
# host: boot once and run a whole suite in one command.
# shellcheck disable=SC2054 # qemu options are comma-separated lists, not array elements
set -euo pipefail

mem=${RUNG_VM_MEM:-1024}
cpus=${RUNG_VM_CPUS:-2}
timeout_s=${RUNG_VM_TIMEOUT:-1800}
cache=${RUNG_VM_CACHE:-/var/cache/rung-vm}

die() {
    echo "vm-run.sh: $*" >&2
    exit 125
}

rw_dir=""
if [[ ${1:-} == --rw ]]; then
    [[ -d ${2:-} ]] || die "--rw needs an existing directory"
    rw_dir=$(cd "$2" && pwd)
    shift 2
fi
(($# > 0)) || die "usage: vm-run.sh [--rw DIR] CMD [ARGS...]"
[[ $(id -u) -eq 0 ]] || die "run as root: qemu shares / with the files' owners (passthrough)"

# The modules the initramfs loads before it can mount the root: Debian builds virtio, 9p and
# overlayfs as modules. virtio_console carries CMD's stdout and stderr, virtio_blk is /dev/vda.
modules="virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci 9pnet
    9pnet_virtio netfs fscache 9p overlay virtio_console virtio_blk"

install_missing() {
    local need=()
    command -v qemu-system-x86_64 >/dev/null || need+=(qemu-system-x86)
    [[ -x /bin/busybox ]] && ! ldd /bin/busybox >/dev/null 2>&1 || need+=(busybox-static)
    command -v xz >/dev/null || need+=(xz-utils)
    ((${#need[@]} == 0)) && return 0
    echo "vm-run.sh: installing ${need[*]}" >&2
    local apt=(apt-get -o DPkg::Lock::Timeout=600 -y -q)
    export DEBIAN_FRONTEND=noninteractive
    "${apt[@]}" install --no-install-recommends "${need[@]}" >&2 ||
        { "${apt[@]}" update >&2 && "${apt[@]}" install --no-install-recommends "${need[@]}" >&2; } ||
        die "apt-get install ${need[*]} failed"
}

# Unpack from the kernel package only the kernel image and our modules, not its 400 MB tree.
fetch_kernel() {
    [[ -e $cache/kernel/ok ]] && return 0
    rm -rf "$cache/kernel" "$cache/download" "$cache/vmlinux"
    mkdir -p "$cache/kernel" "$cache/download"
    # apt downloads as its unprivileged _apt user when that user may write the directory.
    chown _apt "$cache/download" 2>/dev/null || true
    # linux-image-amd64 only depends on the current linux-image-<abi>-amd64: download that one.
    local pkg
    pkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-/ {print $2; exit}')
    if [[ -z $pkg ]]; then
        apt-get -o DPkg::Lock::Timeout=600 -q update >&2 || die "apt-get update failed"
        pkg=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-/ {print $2; exit}')
    fi
    [[ -n $pkg ]] || die "apt-cache knows no linux-image-amd64"
    echo "vm-run.sh: apt-get download $pkg (once, into $cache)" >&2
    (cd "$cache/download" && apt-get download "$pkg" >&2) || die "apt-get download $pkg failed"
    local patterns=('./boot/vmlinuz-*') m
    for m in $modules; do patterns+=("*/$m.ko*"); done
    # tar reports patterns that match nothing (a module built in): the initramfs step decides.
    dpkg-deb --fsys-tarfile "$cache"/download/*.deb |
        tar -x -C "$cache/kernel" --wildcards "${patterns[@]}" 2>/dev/null || true
    rm -rf "$cache/download"
    compgen -G "$cache/kernel/boot/vmlinuz-*" >/dev/null || die "$pkg has no /boot/vmlinuz-*"
    touch "$cache/kernel/ok"
}

# Under TCG, decompressing the bzImage costs about 2.5 s of every boot. Keep the ELF it contains:
# qemu boots it directly through its PVH entry point (Debian sets CONFIG_PVH). When the ELF cannot
# be found, boot the bzImage.
extract_vmlinux() {
    [[ -e $cache/vmlinux ]] && return 0
    local offset
    offset=$(LC_ALL=C grep -obUaP -m1 '\xfd7zXZ\x00' "$vmlinuz" | head -n1 | cut -d: -f1 || true)
    rm -f "$cache/vmlinux.tmp"
    if [[ -n $offset ]]; then
        # xz stops after its stream and tail gets SIGPIPE: check the result, not the status.
        tail -c +$((offset + 1)) "$vmlinuz" | xz -dc --single-stream >"$cache/vmlinux.tmp" 2>/dev/null || true
    fi
    if [[ $(head -c 4 "$cache/vmlinux.tmp" 2>/dev/null | od -An -tx1 | tr -d ' \n') == 7f454c46 ]]; then
        mv "$cache/vmlinux.tmp" "$cache/vmlinux"
    else
        rm -f "$cache/vmlinux.tmp"
        ln -sf "$vmlinuz" "$cache/vmlinux"
    fi
}

# Stage 1, /init of the initramfs (busybox sh): load the modules, build the root (host / read-only
# plus a tmpfs upper), mount what a Linux system has, cgroup2 alone on /sys/fs/cgroup, and hand
# over to stage 2 with switch_root. Not chroot: the overlay must be the real root, or pivot_root
# fails in the containers under test.
read -r -d '' guest_init <<'INIT' || true
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mkdir -p /proc /sys /dev /newroot /lower /rw
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
echo 1 >/proc/sys/kernel/printk
fail() { echo "vm-run.sh guest: $*"; sleep 1; poweroff -f; }
for m in $(cat /modules); do insmod /lib/$m.ko || fail "insmod $m"; done
mount -t 9p -o trans=virtio,version=9p2000.L,ro,cache=loose,msize=512000 hostroot /lower || fail "mount host /"
mount -t tmpfs -o mode=0755 tmpfs /rw
mkdir -p /rw/upper /rw/work
mount -t overlay -o lowerdir=/lower,upperdir=/rw/upper,workdir=/rw/work overlay /newroot || fail "mount overlay"
R=/newroot
mount --move /proc $R/proc
mount --move /sys $R/sys
mount --move /dev $R/dev
mount -t tmpfs -o mode=0755,nosuid,nodev tmpfs $R/run
mkdir -p $R/run/vm $R/run/lock $R/dev/pts $R/dev/shm $R/dev/mqueue $R/dev/virtio-ports
mount -t 9p -o trans=virtio,version=9p2000.L,cache=none,msize=512000 vmrun $R/run/vm || fail "mount vmrun"
mount -t devpts -o newinstance,ptmxmode=0666,mode=0620,gid=5 devpts $R/dev/pts
ln -sf pts/ptmx $R/dev/ptmx
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs $R/dev/shm
mount -t mqueue mqueue $R/dev/mqueue
ln -sf /proc/self/fd $R/dev/fd
ln -sf /proc/self/fd/0 $R/dev/stdin
ln -sf /proc/self/fd/1 $R/dev/stdout
ln -sf /proc/self/fd/2 $R/dev/stderr
mount -t cgroup2 -o nsdelegate cgroup2 $R/sys/fs/cgroup || fail "mount cgroup2"
for c in $(cat $R/sys/fs/cgroup/cgroup.controllers); do
    echo +$c >$R/sys/fs/cgroup/cgroup.subtree_control || fail "enable controller $c"
done
for p in $R/sys/class/virtio-ports/*; do
    [ -e $p/name ] && ln -sf ../${p##*/} $R/dev/virtio-ports/$(cat $p/name)
done
[ -e $R/dev/virtio-ports/stdout ] || fail "no virtio port named stdout"
if [ -s $R/run/vm/rw-dir ]; then
    mount -t 9p -o trans=virtio,version=9p2000.L,cache=mmap,msize=512000 hostrw "$R$(cat $R/run/vm/rw-dir)" || fail "mount --rw dir"
fi
mount --make-rshared $R
hostname rung-vm
ip link set lo up
exec switch_root $R /bin/bash /run/vm/stage2.sh
INIT

# Stage 2, PID 1 on the overlay root (the host's bash): run CMD, leave its status for the host.
# A virtio port can be opened only once (a second open is EBUSY, and tests do `echo >&2`), so CMD
# writes to two fifos and a cat copies each to its port. A port write blocks until qemu has the
# data, so nothing is lost at poweroff.
read -r -d '' guest_stage2 <<'STAGE2' || true
. /run/vm/env.sh
mkfifo /run/vm-stdout /run/vm-stderr
cat /run/vm-stdout >/dev/virtio-ports/stdout &
out=$!
cat /run/vm-stderr >/dev/virtio-ports/stderr &
err=$!
/bin/bash /run/vm/cmd.sh </dev/null >/run/vm-stdout 2>/run/vm-stderr
status=$?
# A daemon CMD left behind may keep a fifo open: give the copies 2 s, then power off anyway.
for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 $out $err 2>/dev/null || break; sleep 0.2; done
echo $status >/run/vm/status
sync
/bin/busybox poweroff -f
STAGE2

# The initramfs: static busybox, the modules (decompressed: busybox insmod reads plain .ko), /init.
# Rebuilt when the module list or stage 1 changes.
build_initramfs() {
    local stamp m f tmp
    stamp=$(printf '%s\n%s\n' "$modules" "$guest_init" | md5sum | cut -c1-16)
    [[ -e $initramfs && $(cat "$initramfs.stamp" 2>/dev/null) == "$stamp" ]] && return 0
    tmp=$(mktemp -d)
    mkdir -p "$tmp/bin" "$tmp/lib"
    cp /bin/busybox "$tmp/bin/busybox"
    for m in $modules; do
        f=$(find "$cache/kernel" \( -name "$m.ko" -o -name "$m.ko.xz" -o -name "$m.ko.zst" \) -print -quit)
        [[ -n $f ]] || die "module $m not found in $cache/kernel"
        case $f in
            *.xz) xz -dc "$f" >"$tmp/lib/$m.ko" ;;
            *.zst) zstd -qdc "$f" >"$tmp/lib/$m.ko" ;;
            *) cp "$f" "$tmp/lib/$m.ko" ;;
        esac
    done
    echo "$modules" >"$tmp/modules"
    printf '%s\n' "$guest_init" >"$tmp/init"
    chmod 755 "$tmp/init"
    (cd "$tmp" && find . | /bin/busybox cpio -o -H newc 2>/dev/null | gzip -1) >"$initramfs.tmp"
    mv "$initramfs.tmp" "$initramfs"
    echo "$stamp" >"$initramfs.stamp"
    rm -rf "$tmp"
}

install_missing
mkdir -p "$cache"
# One preparation at a time: two first runs in parallel must not unpack over each other.
exec 9>"$cache/.lock"
flock 9
fetch_kernel
vmlinuz=$(compgen -G "$cache/kernel/boot/vmlinuz-*" | head -n1)
initramfs=$cache/initramfs-${vmlinuz##*/vmlinuz-}.cpio.gz
extract_vmlinux
build_initramfs
exec 9>&-

# What the guest runs, in a directory shared with it: our environment, cwd and command line.
run=$(mktemp -d /tmp/rung-vm.XXXXXX)
qemu_pid=""
# shellcheck disable=SC2317 # called by the trap
cleanup() { # must not fail: under set -e that would replace the exit status
    [[ -n $qemu_pid ]] && kill "$qemu_pid" 2>/dev/null
    rm -rf "$run" || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

export -p | grep -vE '^declare -[a-zA-Z-]* (PWD|OLDPWD|SHLVL|_|HOSTNAME|SHELLOPTS|BASHOPTS|SSH_[A-Z_]*|DISPLAY|XDG_[A-Z_]*|DBUS_[A-Z_]*)=' >"$run/env.sh" || true
{
    printf 'cd -- %q || exit 125\nexec' "$PWD"
    printf ' %q' "$@"
    printf '\n'
} >"$run/cmd.sh"
printf '%s\n' "$guest_stage2" >"$run/stage2.sh"
[[ -n $rw_dir ]] && printf '%s\n' "$rw_dir" >"$run/rw-dir"

if [[ -w /dev/kvm ]] && grep -qwE 'vmx|svm' /proc/cpuinfo; then
    accel=(-accel kvm -cpu host)
else
    accel=(-accel tcg,thread=multi -cpu max)
fi
cmdline="console=ttyS0 quiet loglevel=1 panic=-1 rdinit=/init cgroup_no_v1=all"
cmdline+=" mitigations=off tsc=reliable no_timer_check 8250.nr_uarts=1 random.trust_cpu=on"
console=$run/console.log
[[ ${RUNG_VM_CONSOLE:-0} == 1 ]] && console=/dev/fdset/2
qemu=(qemu-system-x86_64 -nodefaults -no-user-config -display none -no-reboot
    "${accel[@]}" -M pc -m "$mem" -smp "$cpus"
    -kernel "$cache/vmlinux" -initrd "$initramfs" -append "$cmdline"
    -chardev file,id=console,path="$console",append=on -serial chardev:console
    -virtfs local,path=/,mount_tag=hostroot,security_model=passthrough,readonly=on,multidevs=remap,id=hostroot
    -virtfs local,path="$run",mount_tag=vmrun,security_model=passthrough,id=vmrun
    # The stdout and stderr ports write to our fds 1 and 2, passed as fd sets: the same open
    # file, so a log file is appended to at its offset and a pipe stays a pipe. append=on: or
    # qemu truncates them.
    -add-fd fd=3,set=1 -add-fd fd=4,set=2
    -device virtio-serial-pci,id=ports
    -chardev file,id=stdout,path=/dev/fdset/1,append=on
    -device virtserialport,bus=ports.0,chardev=stdout,name=stdout
    -chardev file,id=stderr,path=/dev/fdset/2,append=on
    -device virtserialport,bus=ports.0,chardev=stderr,name=stderr
    -drive driver=null-co,read-zeroes=on,size=256M,if=virtio
)
[[ -n $rw_dir ]] && qemu+=(-virtfs local,path="$rw_dir",mount_tag=hostrw,security_model=passthrough,id=hostrw)

timeout "$timeout_s" "${qemu[@]}" </dev/null 3>&1 4>&2 &
qemu_pid=$!
qemu_status=0
wait "$qemu_pid" || qemu_status=$?
qemu_pid=""
[[ -s $run/status ]] && exit "$(cat "$run/status")"

if ((qemu_status == 124)); then
    echo "vm-run.sh: the guest ran out of time (${timeout_s}s)" >&2
else
    echo "vm-run.sh: the guest reported no exit status (qemu exited $qemu_status)" >&2
fi
if [[ -s $run/console.log ]]; then
    echo "---- guest console, last 60 lines ----" >&2
    tail -n 60 "$run/console.log" >&2
fi
exit 125
