#!/usr/bin/env bash
# deps.sh [--interop]: install, with apt-get, whatever rung needs to build and test that is
# missing. With --interop, instead what tests/interop needs (scripts/test.sh asks for it before
# that suite):
#   podman       the engine (it pulls conmon, containers-common and crun or runc, its default
#                runtime, which the tests never use: they pass --runtime)
#   uidmap       newuidmap/newgidmap for the rootless user's subuid/subgid ranges
#   slirp4netns  rootless podman's default network (the tests use --network none, but podman
#                wants it there); the tests use the vfs storage driver, so no fuse-overlayfs
#
# clang and libclang-rt-dev (the ASan, UBSan and libFuzzer runtimes, which clang only
# recommends) build the sanitizer tree, scripts/build-asan.sh.
#
# Runs `apt-get update` only when something must be installed, and waits for a held dpkg lock
# (another apt, unattended-upgrades) instead of failing.
set -euo pipefail

packages=(g++ cmake make pkg-config libcli11-dev nlohmann-json3-dev libcap-dev libseccomp-dev
    doctest-dev bats bats-support bats-assert bats-file jq busybox-static clang-format iproute2
    procps util-linux shellcheck strace python3-jsonschema uidmap clang libclang-rt-dev)
[[ ${1:-} == --interop ]] && packages=(podman uidmap slirp4netns)

missing=()
for p in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done
((${#missing[@]} == 0)) && exit 0

if [[ $(id -u) -ne 0 ]]; then
    echo "deps.sh: missing packages: ${missing[*]}; run as root (sudo $0)" >&2
    exit 1
fi

echo "deps.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# -o DPkg::Lock::Timeout makes apt wait for the lock rather than fail at once.
apt_get() { apt-get -o DPkg::Lock::Timeout=600 -y -q "$@"; }
apt_get update
apt_get install --no-install-recommends "${missing[@]}"
