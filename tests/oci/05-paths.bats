#!/usr/bin/env bats
# Phase 5 and on: linux.maskedPaths and linux.readonlyPaths (config-linux.md), and the mount race
# (CVE-2021-30465): every destination is resolved by the kernel with openat2 RESOLVE_IN_ROOT and
# mounted on through the fd it returned, so a path component swapped for a symlink while create
# runs cannot send a mount out of the rootfs.

load helpers
load bundle

setup() {
    setup_bundle
}

teardown() {
    # The race test's swapper, if it is still running.
    [[ -z ${SWAPPER:-} ]] || kill "$SWAPPER" 2>/dev/null || true
    teardown_bundle
}

# use_spec_paths: the maskedPaths and readonlyPaths that `rung spec` writes, in the bundle.
use_spec_paths() {
    local dir=$BATS_TEST_TMPDIR/spec
    mkdir -p "$dir"
    rung spec --bundle "$dir"
    update_config --slurpfile s "$dir/config.json" \
        '.linux.maskedPaths = $s[0].linux.maskedPaths | .linux.readonlyPaths = $s[0].linux.readonlyPaths'
}

@test "maskedPaths from rung spec: each file that exists reads empty, each directory is an empty read-only tmpfs" {
    require_phase 5
    use_spec_paths
    # The host's /proc/timer_list has content: in the container it must read as nothing.
    [[ $(wc -c </proc/timer_list) -gt 0 ]] || fail "the host's /proc/timer_list is empty"
    local paths
    paths=$(jq -r '.linux.maskedPaths | join(" ")' "$BUNDLE/config.json")
    [[ $paths == *" /proc/timer_list "* && $paths == *"/proc/kcore"* ]] || fail "rung spec masks: $paths"
    write_script "$ROOTFS/check.sh" \
        "for p in $paths; do" \
        '    if [ -d $p ]; then' \
        '        [ -z "$(ls -A $p)" ] && ! touch $p/x 2>/dev/null && echo "$p empty-ro"' \
        '    elif [ -e $p ]; then' \
        '        [ -z "$(cat $p 2>&1)" ] && echo "$p empty"' \
        '    fi' \
        'done' \
        'echo ---' \
        'cat /proc/self/mountinfo'
    run run_container /check.sh
    assert_success
    assert_line '/proc/timer_list empty'
    assert_line '/proc/keys empty'
    assert_line '/sys/firmware empty-ro'
    # Nothing else was printed before the mountinfo: every path that exists was checked masked.
    local masked=${output%%---*}
    local p
    for p in $paths; do
        [[ ! -e $p ]] || [[ $masked == *"$p empty"* ]] || fail "$p is not masked: $masked"
    done
    # The masks themselves: a directory gets a read-only tmpfs, a file /dev/null's node.
    assert_equal "$(mount_fstype /sys/firmware)" tmpfs
    has_option "$(mount_options /sys/firmware)" ro || fail "/sys/firmware: $(mount_options /sys/firmware)"
    [[ $(mountinfo_entry /proc/timer_list | awk '{print $4}') == /null ]] ||
        fail "/proc/timer_list: $(mountinfo_entry /proc/timer_list)"
}

@test "a masked directory of the image is empty and cannot be written" {
    require_phase 5
    mkdir -p "$ROOTFS/secret"
    echo key >"$ROOTFS/secret/key"
    update_config '.linux.maskedPaths = ["/secret"]'
    run run_container sh -c 'ls -A /secret; echo x >/secret/new || echo refused'
    assert_success
    assert_output --partial 'Read-only file system'
    assert_line refused
    refute_output --partial key
    assert_equal "$(cat "$ROOTFS/secret/key")" key
}

@test "readonlyPaths from rung spec: writing /proc/sys fails with EROFS; /proc elsewhere and the flags stay" {
    require_phase 5
    use_spec_paths
    update_config '(.mounts[] | select(.destination == "/proc") | .options) = ["nosuid", "noexec", "nodev"]'
    write_script "$ROOTFS/check.sh" \
        'echo 1 >/proc/sys/kernel/domainname || echo refused' \
        'echo 0 >/proc/self/oom_score_adj && echo proc-writable' \
        'cat /proc/self/mountinfo'
    run run_container /check.sh
    assert_success
    assert_line --partial "can't create /proc/sys/kernel/domainname: Read-only file system"
    assert_line refused
    assert_line proc-writable
    local o
    o=$(mount_options /proc/sys)
    for flag in ro nosuid nodev noexec; do
        has_option "$o" "$flag" || fail "/proc/sys: $o lacks $flag"
    done
    o=$(mount_options /proc)
    has_option "$o" rw || fail "/proc itself became $o"
}

@test "a masked or readonly path that does not exist is skipped, and the others still apply" {
    require_phase 5
    update_config '.linux.maskedPaths = ["/proc/no-such-file", "/nowhere/dir", "/proc/timer_list"]
        | .linux.readonlyPaths = ["/no/such", "/etc"]'
    run run_container sh -c 'wc -c </proc/timer_list; touch /etc/x 2>&1; test -e /nowhere || echo not-made'
    assert_success
    assert_line 0
    assert_line --partial 'Read-only file system'
    assert_line not-made
    [[ ! -e $ROOTFS/etc/x ]] || fail "/etc was written"
}

@test "a masked path through an image's symlink out of the rootfs masks the rootfs's file, not the host's" {
    require_phase 5
    ln -s /etc/hostname "$ROOTFS/evil"
    echo image >"$ROOTFS/etc/hostname"
    update_config '.linux.maskedPaths = ["/evil"]'
    run run_container sh -c 'cat /etc/hostname | wc -c'
    assert_success
    assert_output 0
    # The host's own file is untouched and not covered in the test's namespace.
    [[ -z $(awk '$5 == "/etc/hostname"' /proc/self/mountinfo) ]] || fail "a mount on the host's /etc/hostname"
}

# The attack of CVE-2021-30465: the image (or a second container sharing a volume) swaps a
# mount destination between a directory and a symlink to a host path while create runs. A
# runtime that checks the path and then mounts by name can be raced into mounting on the host
# path (docs/05-security.md shows phase 4 losing). A createContainer hook runs in the
# container's mount namespace before pivot_root, where such a mount would be seen: it records
# any mount on the outside directory.
@test "the mount race: swapping a destination for a symlink out of the rootfs never mounts outside" {
    require_phase 5
    local swapdirs=${SWAPDIRS:-$REPO_ROOT/build/tests/tools/swapdirs}
    [[ -x $swapdirs ]] || fail "$swapdirs is not built (cmake --build build)"
    local out=$BATS_TEST_TMPDIR/outside hit=$BATS_TEST_TMPDIR/hit
    mkdir -p "$out" "$ROOTFS/race/dir"
    ln -s "$out" "$ROOTFS/race/link"
    write_script "$BATS_TEST_TMPDIR/watch.sh" \
        "grep -F ' $out ' /proc/self/mountinfo >>'$hit'" \
        'exit 0'
    add_hook createContainer "$BATS_TEST_TMPDIR/watch.sh"
    add_mount /race/dir tmpfs tmpfs
    set_args true
    : >"$hit"
    "$swapdirs" "$ROOTFS/race/dir" "$ROOTFS/race/link" &
    SWAPPER=$!
    local i failed=0
    for ((i = 0; i < 80; i++)); do
        rung run --bundle "$BUNDLE" "race-$i" >/dev/null 2>>"$BATS_TEST_TMPDIR/race.err" </dev/null ||
            failed=$((failed + 1))
    done
    kill "$SWAPPER"
    wait "$SWAPPER" 2>/dev/null || true
    SWAPPER=
    [[ ! -s $hit ]] || fail "a mount landed outside the rootfs: $(head -3 "$hit")"
    run ls -A "$out"
    assert_output ""
    # A run may fail when the swap leaves its lookup nothing to find (the symlink's target does
    # not exist inside the rootfs at that instant): refused inside the rootfs, which is safe. Any
    # other failure, or too few runs to have raced, fails the test.
    run grep -v 'open "/race/dir" in fd [0-9]* (.*): No such file or directory' "$BATS_TEST_TMPDIR/race.err"
    assert_output ""
    ((failed <= 40)) || fail "$failed of 80 runs failed: $(sort "$BATS_TEST_TMPDIR/race.err" | uniq -c)"
    [[ -z $(awk -v o="$out" 'index($5, o) == 1' /proc/self/mountinfo) ]] || fail "a host mount on $out"
}
