#!/usr/bin/env bash
# mkbundle.sh DIR [CMD ARGS...]: make an OCI bundle in DIR: rootfs/ (a copy of the cached busybox
# root filesystem) and a config.json that runs CMD (default: sh) without a terminal.
#
# ROOTFS_CACHE (default build/rootfs) is where mkrootfs.sh keeps the rootfs it builds.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
dir=${1:?usage: mkbundle.sh DIR [CMD ARGS...]}
shift
cache=${ROOTFS_CACHE:-$here/../build/rootfs}

"$here/mkrootfs.sh" "$cache"
mkdir -p "$dir"
rm -rf "$dir/rootfs"
cp -a "$cache" "$dir/rootfs"

args='["sh"]'
if (($# > 0)); then
    args=$(printf '%s\n' "$@" | jq -R . | jq -s -c .)
fi

# The same shape as `runc spec`, minus the terminal: a bundle for scripts and tests.
jq -n --argjson args "$args" '{
  ociVersion: "1.2.0",
  process: {
    terminal: false,
    user: {uid: 0, gid: 0},
    args: $args,
    env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm", "HOME=/root"],
    cwd: "/"
  },
  root: {path: "rootfs", readonly: false},
  hostname: "rung",
  mounts: [
    {destination: "/proc", type: "proc", source: "proc"},
    {destination: "/dev", type: "tmpfs", source: "tmpfs", options: ["nosuid", "strictatime", "mode=755", "size=65536k"]},
    {destination: "/dev/pts", type: "devpts", source: "devpts", options: ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"]},
    {destination: "/dev/shm", type: "tmpfs", source: "shm", options: ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]},
    {destination: "/sys", type: "sysfs", source: "sysfs", options: ["nosuid", "noexec", "nodev", "ro"]}
  ],
  linux: {
    namespaces: [{type: "pid"}, {type: "network"}, {type: "ipc"}, {type: "uts"}, {type: "mount"}]
  }
}' >"$dir/config.json"
