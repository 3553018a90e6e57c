# shellcheck shell=bash
# A private containerd for tests/interop (containerd.bats, cri.bats): everything it keeps lives
# under one directory DIR, so the host's containerd (/run/containerd, /var/lib/containerd), if
# any, is never read or written, and stop_containerd leaves nothing behind.
#
#   start_containerd DIR [EXTRA_TOML]   write DIR/config.toml, start `containerd --config` on it,
#                                       wait for its socket; its PID in DIR/containerd.pid
#   ctr_ DIR ARGS...                    ctr against that containerd
#   stop_containerd DIR                 stop it, its shims and their containers; unmount, remove
#                                       the cgroups named in DIR/cgroups and the state
#   import_image DIR NAMESPACE NAME [ENTRYPOINT...]
#                                       an OCI-layout image of scripts/mkrootfs.sh's busybox
#                                       rootfs, imported with `ctr images import`
#   import_pause_image DIR NAMESPACE NAME
#                                       the same rootfs as a sandbox ("pause") image
#
# EXTRA_TOML is appended to the config as it is: tables only, none of those written here
# ([grpc], [ttrpc], [debug], [metrics], [plugins."io.containerd.internal.v1.opt"]). A
# [plugins."io.containerd.grpc.v1.cri"] table in it turns the CRI plugin on, which then also
# needs its containerd.default_runtime_name to name a runtime the table configures.
#
# Layout of DIR: config.toml, containerd.log, containerd.pid, containerd.sock (grpc),
# containerd.sock.ttrpc, root/ (content, snapshots, metadata), state/ (the shims' bundles,
# under state/io.containerd.runtime.v2.task/NAMESPACE/ID), tmp/, opt/, and, by convention, the
# runtimes' --root directories under rung/. Callers append to DIR/cgroups the cgroup2 paths
# (relative to the cgroup2 mount, one per line) that their containers' cgroups are made under:
# stop_containerd removes those that are left, once empty.
#
# One limit of containerd 1.6: each shim's socket is /run/containerd/s/<sha256 of address,
# namespace and id>, whatever the config says. The hash includes the address (under DIR), so
# two private containerds never collide; stop_containerd removes the sockets its shims leave,
# and /run/containerd itself if it made it and it is empty (ctr's FIFOs default to
# /run/containerd/fifo too: containerd.bats passes --fifo-dir under DIR).
#
# Needs: RUNG (the binary the containers ran under, for the last resort of `delete --force`),
# REPO_ROOT, ROOTFS_CACHE (scripts/mkrootfs.sh's rootfs).

# The plugins a test of the runtime needs none of. The CRI plugin is off unless EXTRA_TOML
# configures it (a [plugins."io.containerd.grpc.v1.cri"] table); snapshotters other than
# overlayfs and native, and tracing, would only probe the host and log. (The v1 runtime stays:
# containerd 1.6's tasks service will not load without it.)
CONTAINERD_UNUSED_PLUGINS=(
    io.containerd.snapshotter.v1.aufs
    io.containerd.snapshotter.v1.btrfs
    io.containerd.snapshotter.v1.devmapper
    io.containerd.snapshotter.v1.zfs
    io.containerd.tracing.processor.v1.otlp
    io.containerd.internal.v1.tracing
)

# containerd_skip_reason: why containerd cannot run here, or nothing.
containerd_skip_reason() {
    local b
    for b in containerd ctr containerd-shim-runc-v2; do
        command -v "$b" >/dev/null || {
            echo "$b is not installed (scripts/deps.sh --interop installs containerd)"
            return
        }
    done
    [[ $(id -u) -eq 0 ]] || echo "containerd's tests run as root"
}

# write_containerd_config DIR [EXTRA_TOML]: DIR/config.toml (version 2, containerd 1.6).
write_containerd_config() {
    local d=$1 extra=${2:-} disabled=("${CONTAINERD_UNUSED_PLUGINS[@]}") p list=
    [[ $extra == *'[plugins."io.containerd.grpc.v1.cri"'* ]] || disabled+=(io.containerd.grpc.v1.cri)
    for p in "${disabled[@]}"; do list+="\"$p\", "; done
    cat >"$d/config.toml" <<EOF
version = 2
root = "$d/root"
state = "$d/state"
temp = "$d/tmp"
disabled_plugins = [${list%, }]

[grpc]
  address = "$d/containerd.sock"
[ttrpc]
  address = "$d/containerd.sock.ttrpc"
[debug]
  address = ""
  level = "${CONTAINERD_LOG_LEVEL:-info}"
[metrics]
  address = ""

[plugins."io.containerd.internal.v1.opt"]
  path = "$d/opt"
$extra
EOF
}

start_containerd() {
    local d=${1:?start_containerd DIR [EXTRA_TOML]} pid i
    mkdir -p "$d/root" "$d/state" "$d/tmp" "$d/opt" "$d/rung"
    touch "$d/cgroups"
    [[ -e /run/containerd ]] || touch "$d/made-run-containerd"
    write_containerd_config "$d" "${2:-}"
    # fd 3 is bats' own output: a daemon that held it would make bats wait for it.
    containerd --config "$d/config.toml" >"$d/containerd.log" 2>&1 </dev/null 3>&- &
    pid=$!
    echo "$pid" >"$d/containerd.pid"
    for ((i = 0; i < 100; i++)); do
        if [[ -S $d/containerd.sock ]] && ctr_ "$d" version >/dev/null 2>&1; then
            return 0
        fi
        if ! kill -0 "$pid" 2>/dev/null; then
            echo "containerd exited at start; its log:" >&2
            cat "$d/containerd.log" >&2
            return 1
        fi
        sleep 0.1
    done
    echo "containerd's socket $d/containerd.sock did not answer in 10 s; its log:" >&2
    cat "$d/containerd.log" >&2
    return 1
}

ctr_() {
    local d=$1
    shift
    ctr --address "$d/containerd.sock" "$@"
}

# containerd_shim_pids DIR: the shims this containerd started (each is given its address).
containerd_shim_pids() {
    local d=$1 p args
    for p in /proc/[0-9]*; do
        # (a builtin read, no fork per process: the scan stays fast on a loaded host)
        mapfile -d '' args 2>/dev/null <"$p/cmdline" || continue
        [[ ${args[0]:-} == *containerd-shim* && " ${args[*]} " == *" -address $d/containerd.sock "* ]] &&
            echo "${p#/proc/}"
    done
    return 0
}

# containerd_pid_alive PID: PID runs, and is not a zombie. A shim is a daemon, whose parent is
# pid 1 once it exits: how soon pid 1 reaps it is not the test's to decide.
containerd_pid_alive() {
    local stat
    read -r stat 2>/dev/null <"/proc/$1/stat" || return 1
    stat=${stat##*) }
    [[ ${stat:0:1} != Z ]]
}

# kill_and_wait SIGNAL SECONDS PID...: SIGNAL to each PID, then wait up to SECONDS for them to
# be gone. Returns 1 if some are still there.
kill_and_wait() {
    local sig=$1 secs=$2 p i left
    shift 2
    (($#)) || return 0
    kill "-$sig" "$@" 2>/dev/null || true
    for ((i = 0; i < secs * 10; i++)); do
        left=0
        for p in "$@"; do containerd_pid_alive "$p" && left=1; done
        ((left)) || return 0
        sleep 0.1
    done
    return 1
}

# containerd_remove_all DIR: the tidy way: in every namespace, each task killed and deleted
# through its shim (the runtime's kill and delete --force), each container removed (and its
# snapshot with it).
containerd_remove_all() {
    local d=$1 ns id
    for ns in $(ctr_ "$d" namespaces ls -q 2>/dev/null); do
        for id in $(ctr_ "$d" -n "$ns" tasks ls -q 2>/dev/null); do
            ctr_ "$d" -n "$ns" tasks rm -f "$id" >/dev/null 2>&1 || true
        done
        for id in $(ctr_ "$d" -n "$ns" containers ls -q 2>/dev/null); do
            ctr_ "$d" -n "$ns" containers rm "$id" >/dev/null 2>&1 || true
        done
    done
}

# Safe under bats' errexit: what is already gone is no failure.
stop_containerd() {
    local d=${1:?stop_containerd DIR} pid shims f id cg cgroup2
    [[ -d $d ]] || return 0
    [[ -S $d/containerd.sock ]] && containerd_remove_all "$d"
    pid=$(cat "$d/containerd.pid" 2>/dev/null || true)
    if [[ -n $pid ]]; then
        kill_and_wait TERM 10 "$pid" || kill_and_wait KILL 5 "$pid" || true
        wait "$pid" 2>/dev/null || true
    fi
    mapfile -t shims < <(containerd_shim_pids "$d")
    kill_and_wait TERM 5 "${shims[@]}" || kill_and_wait KILL 5 "${shims[@]}" || true
    # The shims' sockets, in /run/containerd/s (see above): each bundle names its own.
    for f in "$d"/state/io.containerd.runtime.v2.task/*/*/address; do
        [[ -f $f ]] || continue
        f=$(<"$f")
        f=${f#unix://}
        [[ $f == /run/containerd/s/* ]] && rm -f "$f"
    done
    [[ -f $d/made-run-containerd ]] &&
        { rmdir /run/containerd/s /run/containerd/fifo /run/containerd 2>/dev/null || true; }
    # The last resort for containers a dead shim could not delete: the runtime itself.
    # (The shim gives the runtime --root ROOT/NAMESPACE, so ROOT/NAMESPACE/ID/state.json.)
    if [[ -n ${RUNG:-} && -d $d/rung ]]; then
        find "$d/rung" -name state.json | while read -r f; do
            id=${f%/state.json}
            "$RUNG" --root "${id%/*}" delete --force "${id##*/}" >/dev/null 2>&1 || true
        done
    fi
    awk -v t="$d/" 'index($5, t) == 1 {print $5}' /proc/self/mountinfo | sort -r |
        while read -r f; do umount -R "$f" 2>/dev/null || umount -l "$f" 2>/dev/null || true; done
    cgroup2=$(containerd_cgroup2_mount)
    if [[ -n $cgroup2 && -f $d/cgroups ]]; then
        # Deepest first, and only what is empty: a cgroup still in use is not the test's to take.
        sort -ru "$d/cgroups" | while read -r cg; do
            [[ -n $cg && -d $cgroup2/$cg ]] || continue
            find "$cgroup2/$cg" -depth -type d -exec rmdir {} + 2>/dev/null || true
        done
    fi
    rm -rf "$d"
}

# containerd_cgroup2_mount: where cgroup2 is mounted (unified host: /sys/fs/cgroup; hybrid:
# /sys/fs/cgroup/unified), or nothing.
containerd_cgroup2_mount() {
    awk '$9 == "cgroup2" {print $5; exit}' /proc/self/mountinfo
}

# import_image DIR NAMESPACE NAME [ENTRYPOINT...]: an OCI image layout of the busybox rootfs
# (tests/interop/mkimage.py: one layer, a config, a manifest, index.json, oci-layout) imported
# as NAME into NAMESPACE and unpacked for the default snapshotter. No registry is involved.
import_image() {
    local d=$1 ns=$2 name=$3 tar
    shift 3
    "$REPO_ROOT/scripts/mkrootfs.sh" "$ROOTFS_CACHE" || return
    tar=$(mktemp "$d/tmp/image.XXXXXX")
    python3 "$REPO_ROOT/tests/interop/mkimage.py" "$ROOTFS_CACHE" "$tar" "$name" "$@" || return
    ctr_ "$d" -n "$ns" images import "$tar" >/dev/null || return
    rm -f "$tar"
}

# import_pause_image DIR NAMESPACE NAME: the sandbox image the CRI starts first in each pod.
# Its one job is to hold the pod's namespaces until it is killed, as registry.k8s.io/pause does.
# busybox's sleep does that: it is static, sleeps without end, and as pid 1 of the pod's pid
# namespace it ignores the signals it has no handler for, so it ends at the SIGKILL with which
# the CRI's StopPodSandbox stops a sandbox (pause itself also exits at SIGTERM or SIGINT; the
# CRI never sends them to a sandbox).
import_pause_image() {
    import_image "$1" "$2" "$3" /bin/sleep 2147483647
}
