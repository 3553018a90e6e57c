#!/usr/bin/env bash
# deps.sh [--interop]: install, with apt-get, whatever rung needs to build and test that is
# missing. With --interop, instead what tests/interop needs (scripts/test.sh asks for it before
# that suite):
#   podman       the engine (it pulls conmon, containers-common and crun or runc, its default
#                runtime, which the tests never use: they pass --runtime)
#   uidmap       newuidmap/newgidmap for the rootless user's subuid/subgid ranges
#   slirp4netns  rootless podman's default network (the tests use --network none, but podman
#                wants it there); the tests use the vfs storage driver, so no fuse-overlayfs
#   containerd   containerd, ctr and containerd-shim-runc-v2 (tests/interop/containerd.bats
#                and cri.bats start a private containerd of their own, with its own config and
#                sockets; the package's service is never used: see the end)
#   nodejs npm   only where `node` or `npm` is missing: tests/interop/cri/cri.js, the CRI client
#                of cri.bats (Debian has no crictl), runs on Node; then `npm ci` installs its
#                pinned modules (@grpc/grpc-js, @grpc/proto-loader: package-lock.json) into
#                tests/interop/cri/node_modules, again only when the lock file changed
#
# clang and libclang-rt-dev (the ASan, UBSan and libFuzzer runtimes, which clang only
# recommends) build the sanitizer tree, scripts/build-asan.sh. gnuplot-nox draws the run
# diagrams of docs/img (scripts/run-diagram, called by scripts/doc-test.sh --update).
#
# Runs `apt-get update` only when something must be installed, and waits for a held dpkg lock
# (another apt, unattended-upgrades) instead of failing.
set -euo pipefail

packages=(g++ cmake make pkg-config libcli11-dev nlohmann-json3-dev libcap-dev libseccomp-dev
    doctest-dev bats bats-support bats-assert bats-file jq busybox-static clang-format iproute2
    procps util-linux shellcheck strace python3-jsonschema uidmap valgrind clang libclang-rt-dev
    gnuplot-nox)
[[ ${1:-} == --interop ]] && packages=(podman uidmap slirp4netns containerd)
if [[ ${1:-} == --interop ]] && ! { command -v node && command -v npm; } >/dev/null; then
    packages+=(nodejs npm)
fi

missing=()
for p in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done
install_missing() {
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

    # Debian's containerd ships only a systemd unit. Where systemd runs, installing the package
    # starts it and enables it at boot: a daemon nobody asked for, on the host's /run/containerd.
    # If this script installed it, it stops and disables it again.
    if [[ " ${missing[*]} " == *" containerd "* && -d /run/systemd/system ]]; then
        echo "deps.sh: stopping and disabling containerd.service (the tests start their own)"
        systemctl disable --now containerd.service
    fi
}
((${#missing[@]} == 0)) || install_missing

# The CRI client's npm modules, exactly as package-lock.json pins them. npm ci starts from an
# empty node_modules each time, so it runs only when the lock file is not the one installed.
if [[ ${1:-} == --interop ]]; then
    cri=$(cd "$(dirname "${BASH_SOURCE[0]}")/../tests/interop/cri" && pwd)
    sum=$(sha256sum <"$cri/package-lock.json")
    if [[ ! -f $cri/node_modules/.rung-lock || $(<"$cri/node_modules/.rung-lock") != "$sum" ]]; then
        echo "deps.sh: npm ci in $cri"
        (cd "$cri" && npm ci --no-audit --no-fund --loglevel=error)
        echo "$sum" >"$cri/node_modules/.rung-lock"
    fi
fi
