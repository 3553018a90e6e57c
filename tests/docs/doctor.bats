#!/usr/bin/env bats
# scripts/doctor.sh, the machine's checks (kernel to lsm), each an entry of
# docs/troubleshooting.md: a chroot and an initramfs root are made for real, in a private mount
# namespace. tests/oci/05-rootless.bats tests the rootless checks.

load helpers

setup() {
    DOCTOR=$REPO_ROOT/scripts/doctor.sh
    ((EUID == 0)) || skip "the chroot and the ramfs root need root"
}

# in_root TYPE CMD...: CMD chrooted into a new root of TYPE ("dir": a plain directory, not a mount
# point; "ramfs": a ramfs mount, as an initramfs is), with the host's directories bound in, in a
# mount namespace of its own so that nothing is left on the host. The checkout and the build
# may live anywhere (CI's is not under /work): their top directories are bound in too.
in_root() {
    local type=$1 root=$BATS_TEST_TMPDIR/root top
    local -a tops=()
    shift
    for top in "$REPO_ROOT" "${BUILD_DIR:-$REPO_ROOT/build}" "$BATS_TEST_TMPDIR"; do
        top=${top#/}
        tops+=("${top%%/*}")
    done
    mkdir -p "$root"
    unshare -m --propagation private bash -euc '
        root=$1 type=$2 tops=$3
        shift 3
        [[ $type == ramfs ]] && mount -t ramfs ramfs "$root"
        for d in usr lib lib64 bin sbin etc proc sys dev root run $tops; do
            [[ -d /$d ]] && ! mountpoint -q "$root/$d" || continue
            mkdir -p "$root/$d"
            mount --rbind "/$d" "$root/$d"
        done
        exec chroot "$root" "$@"' in_root "$root" "$type" "${tops[*]}" "$@"
}

@test "doctor: each machine check prints one line, ok, FAIL or warn, with the fix and its entry" {
    run "$DOCTOR" root
    local name
    for name in kernel namespaces chroot initramfs engine seccomp lsm; do
        assert_line --regexp "^(ok   |FAIL |warn ) $name: "
    done
    # Every line that is not ok names its fix, and the fix its entry of the troubleshooting page.
    local line anchor
    while IFS= read -r line; do
        [[ $line == ok* ]] && continue
        [[ $line == *"; fix: "*"docs/troubleshooting.md#"* ]] || fail "no fix and entry: $line"
        anchor=${line##*troubleshooting.md#}
        anchor=${anchor%%)*}
        # GitHub's anchor of each "## " heading: lower case, spaces to -, punctuation dropped.
        sed -n 's/^## //p' "$REPO_ROOT/docs/troubleshooting.md" |
            tr 'A-Z ' 'a-z-' | tr -cd 'a-z0-9_\n-' | grep -qx -- "$anchor" ||
            fail "docs/troubleshooting.md has no heading for #$anchor"
    done <<<"$output"
}

@test "doctor: in a chroot whose / is not a mount point, the chroot check fails, and rung fails as it says" {
    run in_root dir "$DOCTOR" root
    assert_failure 1
    assert_line --regexp '^FAIL  chroot: / is not a mount point \(this shell runs in a chroot into a directory\): .*; fix: .*mount --bind DIR DIR'
    # What the entry says rung prints there, it does print (phase 1's first mount is the same).
    run in_root dir "$(ls "${BUILD_DIR:-$REPO_ROOT/build}"/phase1-*/rung)" run --rootfs / -- true
    assert_failure
    assert_output 'rung: run: init: mount "" on "/" [MS_REC|MS_PRIVATE]: Invalid argument'
}

@test "doctor: with / on a ramfs, as an initramfs is, the initramfs check warns, and a chroot to a mount point passes" {
    run in_root ramfs "$DOCTOR" root
    assert_line --regexp '^warn  initramfs: / is a ramfs .*pivot_root\(2\) fails with EINVAL; fix: rung run --no-pivot'
    assert_line 'ok    chroot: / is a mount point (not a chroot into a plain directory)'
}
