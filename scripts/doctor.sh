#!/usr/bin/env bash
# doctor.sh [USER]: can USER (default: $USER, else the caller) run rung here? One line a check,
# for rootless rung (userns to cgroup_delegated) and for the machine (kernel to lsm: each of
# those is an entry of docs/troubleshooting.md, which its fix names):
#
#     ok    NAME: what was found
#     FAIL  NAME: what is wrong; fix: what to do
#     warn  NAME: what is missing but optional; fix: what to do
#
# Exit status 0 iff every required check passed (a warn is not a failure), 1 otherwise.
#
# Each check is one function, check_NAME, that prints its line through ok/fail/warn and returns
# 0 (passed, or only a warning) or 1 (failed). CHECKS lists them in order, each as NAME:required
# or NAME:optional (an optional check that fails prints warn). To add a check: write check_NAME,
# and add NAME:required or NAME:optional to CHECKS. A check finds the user in $DOCTOR_USER,
# $DOCTOR_UID and $DOCTOR_GID, and whether it runs as that user in $DOCTOR_SELF (1 or 0).
# shellcheck disable=SC2317 # the checks are called through "check_$name", which it cannot see
set -uo pipefail

CHECKS=(userns:required subuid:required subgid:required newuidmap:required newgidmap:required
    runtime_dir:required cgroup2:required cgroup_delegated:optional busybox:required
    kernel:required namespaces:required chroot:required initramfs:optional engine:optional
    seccomp:optional lsm:optional)

# The line of the check that is running: its name, and whether a failure is FAIL or warn.
current=""
current_kind=required

ok() { printf 'ok    %s: %s\n' "$current" "$1"; }
# fail WHAT FIX
fail() {
    local word=FAIL
    [[ $current_kind == optional ]] && word=warn
    printf '%-5s %s: %s; fix: %s\n' "$word" "$current" "$1" "$2"
    return 1
}

# ---- the checks ----

# User namespaces: a non-root user needs one to be "root" of its container. Debian's kernels have
# kernel.unprivileged_userns_clone (0 forbids it); every kernel has user.max_user_namespaces.
check_userns() {
    local max clone=/proc/sys/kernel/unprivileged_userns_clone
    max=$(cat /proc/sys/user/max_user_namespaces 2>/dev/null) ||
        {
            fail "no /proc/sys/user/max_user_namespaces: this kernel has no user namespaces" \
                "a kernel built with CONFIG_USER_NS=y"
            return
        }
    if ((max == 0)); then
        fail "user.max_user_namespaces is 0" "sysctl -w user.max_user_namespaces=15000 (and in /etc/sysctl.d/)"
        return
    fi
    if [[ -e $clone && $(cat "$clone") == 0 ]]; then
        fail "kernel.unprivileged_userns_clone is 0" \
            "sysctl -w kernel.unprivileged_userns_clone=1 (and in /etc/sysctl.d/)"
        return
    fi
    local clone_text="no kernel.unprivileged_userns_clone (not a Debian kernel: allowed)"
    [[ -e $clone ]] && clone_text="kernel.unprivileged_userns_clone=1"
    ok "user.max_user_namespaces=$max, $clone_text"
}

# subordinate_range FILE: the first "start:count" of $DOCTOR_USER (or its uid) in FILE.
subordinate_range() {
    awk -F: -v u="$DOCTOR_USER" -v id="$DOCTOR_UID" '($1 == u || $1 == id) && $3 > 0 {
        print $2 ":" $3; exit }' "$1" 2>/dev/null
}

# check_subordinate FILE TOOL: a range in /etc/subuid or /etc/subgid, for maps beyond one id.
check_subordinate() {
    [[ $DOCTOR_UID == 0 ]] && {
        ok "root maps any id: no range needed"
        return
    }
    local range
    range=$(subordinate_range "$1")
    [[ -n $range ]] || {
        fail "$1 has no range for $DOCTOR_USER" \
            "as root: usermod --add-subuids 100000-165535 --add-subgids 100000-165535 $DOCTOR_USER"
        return
    }
    ok "$DOCTOR_USER has ${range#*:} ids from ${range%%:*} in $1"
}
check_subuid() { check_subordinate /etc/subuid; }
check_subgid() { check_subordinate /etc/subgid; }

# check_helper NAME: newuidmap/newgidmap (Debian's uidmap) write a map of several ranges for a
# non-root caller; they need to be setuid root (or to hold cap_setuid/cap_setgid).
check_helper() {
    local path
    path=$(command -v "$1" 2>/dev/null) || {
        fail "$1 is not installed" "apt-get install uidmap"
        return
    }
    if [[ -u $path && $(stat -Lc %u "$path") == 0 ]]; then
        ok "$path is setuid root"
    elif command -v getcap >/dev/null && [[ $(getcap "$path") == *cap_set[ug]id* ]]; then
        ok "$path has $(getcap "$path" | sed 's/^[^ ]* //')"
    else
        fail "$path is neither setuid root nor holds cap_setuid" "chmod u+s $path (as root)"
    fi
}
check_newuidmap() { check_helper newuidmap; }
check_newgidmap() { check_helper newgidmap; }

# Where rung keeps its state: /run/rung for root, $XDG_RUNTIME_DIR/rung for anyone else
# (logind makes /run/user/UID at login). Checked for another user, /run/user/UID must be theirs.
check_runtime_dir() {
    if [[ $DOCTOR_UID == 0 ]]; then
        ok "root keeps its state in /run/rung"
        return
    fi
    if [[ $DOCTOR_SELF == 0 ]]; then
        local dir=/run/user/$DOCTOR_UID
        [[ -d $dir && $(stat -c %u "$dir") == "$DOCTOR_UID" ]] || {
            fail "$dir does not exist or is not $DOCTOR_USER's (checked as $(id -un))" \
                "log in as $DOCTOR_USER (logind makes it), or give rung --root DIR"
            return
        }
        ok "$dir is $DOCTOR_USER's (XDG_RUNTIME_DIR at login)"
        return
    fi
    [[ -n ${XDG_RUNTIME_DIR:-} ]] || {
        fail "XDG_RUNTIME_DIR is not set" \
            "log in through logind (ssh, a desktop), or export XDG_RUNTIME_DIR=DIR, or give rung --root DIR"
        return
    }
    [[ -d $XDG_RUNTIME_DIR && -w $XDG_RUNTIME_DIR ]] || {
        fail "XDG_RUNTIME_DIR=$XDG_RUNTIME_DIR is not a directory you can write" \
            "export XDG_RUNTIME_DIR=/run/user/$DOCTOR_UID (logind's), or give rung --root DIR"
        return
    }
    ok "XDG_RUNTIME_DIR=$XDG_RUNTIME_DIR is writable: state in $XDG_RUNTIME_DIR/rung"
}

# The cgroup v2 mount, as rung finds it: /sys/fs/cgroup (unified) or /sys/fs/cgroup/unified
# (hybrid). Prints its path on stdout; fails if there is none.
cgroup2_mount() {
    local m
    for m in /sys/fs/cgroup /sys/fs/cgroup/unified; do
        [[ $(stat -fc %T "$m" 2>/dev/null) == cgroup2fs ]] && {
            echo "$m"
            return
        }
    done
    return 1
}

check_cgroup2() {
    local m
    m=$(cgroup2_mount) || {
        fail "no cgroup2 at /sys/fs/cgroup or /sys/fs/cgroup/unified" \
            "boot with systemd.unified_cgroup_hierarchy=1, or mount -t cgroup2 none /sys/fs/cgroup"
        return
    }
    local kind="unified"
    [[ $m == /sys/fs/cgroup/unified ]] && kind="hybrid: cgroup v1 controllers on /sys/fs/cgroup"
    local controllers
    controllers=$(cat "$m/cgroup.controllers")
    ok "cgroup2 at $m ($kind), controllers: ${controllers:-none}"
}

# A non-root user gets a cgroup for its container only inside a cgroup delegated to it: rung
# makes the container's cgroup next to the caller's own (/proc/self/cgroup), so that directory
# must be the user's. systemd delegates user@UID.service (Delegate=); run rung in a scope
# of the user's manager (systemd-run --user --scope) to be inside it. Without a delegated
# cgroup rung runs rootless containers without one: no limits, no pause, no ps.
check_cgroup_delegated() {
    if [[ $DOCTOR_UID == 0 ]]; then
        ok "root makes its cgroups anywhere"
        return
    fi
    local m dir
    m=$(cgroup2_mount) || {
        fail "no cgroup2" "see the cgroup2 check"
        return
    }
    if [[ $DOCTOR_SELF == 1 ]]; then
        local own
        own=$(sed -n 's/^0:://p' /proc/self/cgroup)
        dir=$m$(dirname "$own")
    else
        dir=$m/user.slice/user-$DOCTOR_UID.slice/user@$DOCTOR_UID.service
    fi
    dir=${dir%/}
    [[ $(stat -c %u "$dir" 2>/dev/null) == "$DOCTOR_UID" &&
        $(stat -c %u "$dir/cgroup.procs" 2>/dev/null) == "$DOCTOR_UID" ]] || {
        fail "$dir is not delegated to $DOCTOR_USER: containers get no cgroup (no limits, pause or ps)" \
            "run rung inside a delegated cgroup: systemd-run --user --scope rung ... (systemd delegates user@UID.service)"
        return
    }
    local controllers
    controllers=$(cat "$dir/cgroup.controllers" 2>/dev/null)
    ok "$dir is $DOCTOR_USER's, controllers: ${controllers:-none (pause, ps and kill --all work; no limits)}"
}

# mkrootfs.sh builds the tutorial's rootfs from a static busybox.
check_busybox() {
    [[ -x /bin/busybox ]] || {
        fail "/bin/busybox is missing" "apt-get install busybox-static"
        return
    }
    if ldd /bin/busybox >/dev/null 2>&1; then
        fail "/bin/busybox is dynamically linked" "apt-get install busybox-static"
        return
    fi
    ok "/bin/busybox is static"
}

# ---- the machine: what docs/troubleshooting.md explains, one check per entry ----

# Phase 5 resolves mounts with openat2(2) (5.6) and sets mount attributes with mount_setattr(2)
# (5.12); phases 1 to 4 need 5.x for clone3 (5.3) and CLONE_INTO_CGROUP (5.7, optional).
check_kernel() {
    local release major minor
    release=$(uname -r)
    IFS=. read -r major minor _ <<<"$release"
    if ((major < 5 || (major == 5 && minor < 12))); then
        fail "kernel $release is older than 5.12: phase 5 needs openat2 and mount_setattr"             "a newer kernel (Debian 12 has 6.1); phases 1 to 4 run from 5.3 (docs/troubleshooting.md#missing-kernel-features)"
        return
    fi
    ok "kernel $release (5.12 or newer: every phase)"
}

# Each namespace a phase may create has its /proc/self/ns link when the kernel has it.
check_namespaces() {
    local ns missing=()
    for ns in uts pid mnt ipc net cgroup user time; do
        [[ -e /proc/self/ns/$ns ]] || missing+=("$ns")
    done
    if ((${#missing[@]})); then
        fail "this kernel has no ${missing[*]} namespace (no /proc/self/ns/${missing[0]})"             "a kernel with CONFIG_${missing[0]^^}_NS, or leave it out of config.json (docs/troubleshooting.md#missing-kernel-features)"
        return
    fi
    ok "uts, pid, mnt, ipc, net, cgroup, user and time namespaces"
}

# rung makes the mounts of its new mount namespace private, starting at "/": inside a chroot(2)
# whose root is not a mount point, that mount(2) is EINVAL, and so is pivot_root(2).
check_chroot() {
    if ! mountpoint -q /; then
        fail "/ is not a mount point (this shell runs in a chroot into a directory): rung's first mount, of \"/\", fails with EINVAL" \
            "run rung outside the chroot, or bind the chroot's directory onto itself before chroot (mount --bind DIR DIR) (docs/troubleshooting.md#running-inside-a-chroot)"
        return
    fi
    ok "/ is a mount point (not a chroot into a plain directory)"
}

# An initramfs root (rootfs, ramfs or tmpfs as the very first mount) cannot be pivoted away.
check_initramfs() {
    local type
    type=$(stat -f -c %T / 2>/dev/null)
    case $type in
    ramfs | rootfs)
        fail "/ is a $type (an initramfs that never did switch_root): pivot_root(2) fails with EINVAL" \
            "rung run --no-pivot or create --no-pivot, as with runc (docs/troubleshooting.md#pivot_root-einval-on-an-initramfs)"
        ;;
    *) ok "/ is $type: pivot_root works" ;;
    esac
}

# In a container of another engine (Docker, podman) or in WSL2, nested containers need rights
# that engine usually withholds.
check_engine() {
    local where=""
    [[ -e /.dockerenv ]] && where="a Docker container (/.dockerenv)"
    [[ -e /run/.containerenv ]] && where="a podman container (/run/.containerenv)"
    grep -qi microsoft /proc/version 2>/dev/null && where="WSL2 (/proc/version names Microsoft)"
    if [[ -z $where ]]; then
        ok "not inside another engine's container or WSL2"
        return
    fi
    # CAP_SYS_ADMIN is bit 21 of the effective set: without it nothing below works.
    local capeff
    capeff=$(awk '/^CapEff:/ {print $2}' /proc/self/status)
    if (((16#$capeff >> 21 & 1) == 0)); then
        fail "inside $where without CAP_SYS_ADMIN: no namespace or mount can be made" \
            "docker run --privileged --cgroupns=private (docs/troubleshooting.md#docker-in-docker)"
        return
    fi
    local section=docker-in-docker
    [[ $where == WSL2* ]] && section=wsl2
    fail "inside $where: it works with CAP_SYS_ADMIN, as here, but read the limits" \
        "docs/troubleshooting.md#$section"
}

# A seccomp filter on rung itself (Docker's default profile) refuses unshare, mount and more.
check_seccomp() {
    local mode
    mode=$(awk '/^Seccomp:/ {print $2}' /proc/self/status)
    if [[ $mode == 2 ]]; then
        fail "this shell already runs under a seccomp filter (Seccomp: 2): clone3 of namespaces, mount and pivot_root may be refused with EPERM" \
            "run the engine's container with --security-opt seccomp=unconfined (docs/troubleshooting.md#docker-in-docker)"
        return
    fi
    ok "no seccomp filter on this shell (Seccomp: ${mode:-absent})"
}

# AppArmor or SELinux enforcing: a denial is EACCES or EPERM with no word from the LSM in rung's
# line; the kernel's log says which rule.
check_lsm() {
    local found=()
    [[ $(cat /sys/module/apparmor/parameters/enabled 2>/dev/null) == Y ]] && found+=("AppArmor")
    [[ $(cat /sys/fs/selinux/enforce 2>/dev/null) == 1 ]] && found+=("SELinux (enforcing)")
    if ((${#found[@]})); then
        fail "${found[*]} on this host: a denial shows as Permission denied or Operation not permitted" \
            "read the kernel's log (dmesg | grep -E 'apparmor=\"DENIED\"|avc: +denied') (docs/troubleshooting.md#selinux-and-apparmor-denials)"
        return
    fi
    ok "neither AppArmor nor SELinux enforces here"
}

# ---- main ----

DOCTOR_USER=${1:-${USER:-$(id -un)}}
if ! DOCTOR_UID=$(id -u "$DOCTOR_USER" 2>/dev/null); then
    echo "doctor.sh: no user \"$DOCTOR_USER\"" >&2
    exit 2
fi
DOCTOR_GID=$(id -g "$DOCTOR_USER")
DOCTOR_SELF=0
[[ $DOCTOR_UID == "$(id -u)" ]] && DOCTOR_SELF=1
export DOCTOR_USER DOCTOR_UID DOCTOR_GID DOCTOR_SELF

status=0
for entry in "${CHECKS[@]}"; do
    current=${entry%%:*}
    current_kind=${entry#*:}
    if ! "check_$current" && [[ $current_kind == required ]]; then
        status=1
    fi
done
exit $status
