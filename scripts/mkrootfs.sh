#!/usr/bin/env bash
# mkrootfs.sh DIR: build a minimal busybox root filesystem into DIR.
#
# Static busybox plus a symlink per applet, a minimal /etc, and the empty mount points a
# container runtime fills in (proc, sys, dev, tmp). No Docker, no network. The result is cached:
# if DIR was built from the same busybox, nothing is done.
set -euo pipefail

dir=${1:?usage: mkrootfs.sh DIR}
busybox=/bin/busybox
if [[ ! -x $busybox ]]; then
    echo "mkrootfs.sh: $busybox not found: run scripts/deps.sh (package busybox-static)" >&2
    exit 1
fi

# The cache check comes first and forks once (sha256sum): every test's bundle passes here, and in
# the VM suite's emulated guest each process costs a good part of a second. A stamp that matches
# means this very busybox was checked to be static when DIR was built.
stamp="$dir/.rung-rootfs"
sum=$(sha256sum "$busybox")
want="${sum%% *} v1"
if [[ -f $stamp && $(<"$stamp") == "$want" ]]; then
    exit 0
fi
if ldd "$busybox" >/dev/null 2>&1; then
    echo "mkrootfs.sh: $busybox is dynamically linked: install busybox-static" >&2
    exit 1
fi

# Build next to DIR and rename into place, so a half-built rootfs is never used.
tmp="$dir.tmp.$$"
rm -rf "$tmp"
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp"/{bin,sbin,usr/bin,usr/sbin,etc,root,proc,sys,dev,tmp,run,var/tmp}
chmod 1777 "$tmp/tmp" "$tmp/var/tmp"
chmod 700 "$tmp/root"
cp "$busybox" "$tmp/bin/busybox"
# --list-full prints each applet with its usual directory: bin/ls, usr/bin/env, sbin/ip ...
while read -r applet; do
    [[ $applet == bin/busybox ]] && continue
    ln -sf /bin/busybox "$tmp/$applet"
done < <("$busybox" --list-full)

cat >"$tmp/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
PASSWD
cat >"$tmp/etc/group" <<'GROUP'
root:x:0:
nogroup:x:65534:
GROUP
echo rung >"$tmp/etc/hostname"
echo "$want" >"$tmp/.rung-rootfs"

rm -rf "$dir"
mv "$tmp" "$dir"
trap - EXIT
