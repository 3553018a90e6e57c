#!/usr/bin/env bats
# Phase 3 and on: `rung spec` writes a config.json that rung runs, and a config.json as podman
# writes it is accepted, with one warning line for what this phase does not apply.

load helpers
load bundle

setup() {
    setup_bundle
}

teardown() {
    [[ -z ${RECV_PID:-} ]] || kill "$RECV_PID" 2>/dev/null || true
    teardown_bundle
}

@test "spec writes valid JSON into the bundle and will not overwrite it" {
    require_phase 3
    local dir=$BATS_TEST_TMPDIR/fresh
    mkdir "$dir"
    run rung spec --bundle "$dir"
    assert_success
    assert_output ""
    jq -e . "$dir/config.json" >/dev/null
    assert_equal "$(jq -r .process.args[0] "$dir/config.json")" sh
    assert_equal "$(jq -r .root.path "$dir/config.json")" rootfs
    # The terminal's group is tty (gid 5), as in the spec's example.
    jq -e '.mounts[] | select(.destination == "/dev/pts") | .options | index("gid=5")' "$dir/config.json" >/dev/null
    local sum
    sum=$(sha256sum <"$dir/config.json")
    run rung spec --bundle "$dir"
    assert_failure
    one_line
    assert_output --partial "\"$dir/config.json\" exists"
    assert_equal "$(sha256sum <"$dir/config.json")" "$sum"
    # Without --bundle: the current directory.
    mkdir "$dir/here"
    (cd "$dir/here" && "$RUNG" spec)
    cmp "$dir/config.json" "$dir/here/config.json"
}

@test "spec's config runs: an interactive shell on the console, one warning line before phase 5" {
    require_phase 3
    local recvtty=${RECVTTY:-$REPO_ROOT/build/tests/tools/recvtty} sock=$BATS_TEST_TMPDIR/console.sock
    [[ -x $recvtty ]] || fail "$recvtty is not built"
    rm "$BUNDLE/config.json"
    (cd "$BUNDLE" && "$RUNG" spec)
    "$recvtty" "$sock" $'echo spec-$((6 * 7)); hostname; touch /x || echo read-only\nexit\n' \
        >"$BATS_TEST_TMPDIR/tty.out" 2>/dev/null &
    RECV_PID=$!
    wait_for test -S "$sock"
    (cd "$BUNDLE" && "$RUNG" --root "$ROOT" create --console-socket "$sock" spec) \
        >"$BATS_TEST_TMPDIR/create.out" 2>"$BATS_TEST_TMPDIR/create.err" </dev/null
    run cat "$BATS_TEST_TMPDIR/create.err"
    if ((PHASE < 5)); then
        one_line
        assert_output --regexp '^rung: warning: config.json: not applied by phase [0-9]+: '
    else
        assert_output "" # phase 5 applies every property spec writes
    fi
    rung start spec
    wait_for process_gone "$RECV_PID"
    run tr -d '\r' <"$BATS_TEST_TMPDIR/tty.out"
    assert_line spec-42
    assert_line rung
    assert_line read-only
}

@test "podman's config.json: create warns once about what is not applied (nothing on phase 5), start and delete work" {
    require_phase 3
    local data=$BATS_TEST_TMPDIR/podman
    mkdir -p "$data/shm"
    echo "127.0.0.1 localhost" >"$data/hosts"
    echo 2773c56d74a8 >"$data/hostname"
    : >"$data/containerenv"
    # Host-specific paths only: the rootfs is the test's, and the bind sources (podman's
    # userdata files under /run/containers and /var/lib/containers) are files made here. The
    # cgroupsPath, seccomp profile and everything else are podman's as written.
    jq --arg root "$ROOTFS" --arg d "$data" '.root.path = $root | .mounts |= map(
        if .destination == "/etc/hosts" then .source = $d + "/hosts"
        elif .destination == "/dev/shm" then .source = $d + "/shm"
        elif .destination == "/run/.containerenv" then .source = $d + "/containerenv"
        elif .destination == "/etc/hostname" then .source = $d + "/hostname"
        else . end)' "$REPO_ROOT/tests/unit/data/podman-config.json" >"$BUNDLE/config.json"
    fit_pids_limit_to_host
    rung create --bundle "$BUNDLE" podman >"$BATS_TEST_TMPDIR/podman.out" 2>"$BATS_TEST_TMPDIR/podman.err" </dev/null
    run cat "$BATS_TEST_TMPDIR/podman.err"
    if ((PHASE < 5)); then
        one_line
        assert_output --regexp '^rung: warning: config.json: not applied by phase [0-9]+: '
    else
        assert_output "" # phase 5 applies every property of podman's config
    fi
    if ((PHASE == 3)); then
        assert_output 'rung: warning: config.json: not applied by phase 3: linux.resources, linux.cgroupsPath (phase 4); process.capabilities, process.rlimits, linux.seccomp, linux.maskedPaths, linux.readonlyPaths, linux.resources.devices (phase 5)'
    fi
    assert_equal "$(container_status podman)" created
    run rung start podman
    assert_success
    wait_for status_is podman stopped
    assert_equal "$(cat "$BATS_TEST_TMPDIR/podman.out")" hi
    run rung delete podman
    assert_success
    [[ ! -e $ROOT/podman ]]
}

@test "podman's mounts, names, umask and sysctl are applied" {
    require_phase 3
    local data=$BATS_TEST_TMPDIR/podman
    mkdir -p "$data/shm"
    echo "127.0.0.1 localhost" >"$data/hosts"
    echo 2773c56d74a8 >"$data/hostname"
    echo 'engine="podman"' >"$data/containerenv"
    jq --arg root "$ROOTFS" --arg d "$data" '.root.path = $root | .mounts |= map(
        if .destination == "/etc/hosts" then .source = $d + "/hosts"
        elif .destination == "/dev/shm" then .source = $d + "/shm"
        elif .destination == "/run/.containerenv" then .source = $d + "/containerenv"
        elif .destination == "/etc/hostname" then .source = $d + "/hostname"
        else . end)
        | .process.args = ["sh", "-c", "hostname; cat /etc/hostname /run/.containerenv; grep Umask /proc/self/status; cat /proc/sys/net/ipv4/ping_group_range; echo $container; touch /dev/shm/x && echo shm-rw"]' \
        "$REPO_ROOT/tests/unit/data/podman-config.json" >"$BUNDLE/config.json"
    fit_pids_limit_to_host
    # The warning goes to the log, so that the output is the container's alone.
    run rung --log "$BATS_TEST_TMPDIR/rung.log" run --bundle "$BUNDLE" podman-run
    assert_success
    assert_output $'2773c56d74a8\n2773c56d74a8\nengine="podman"\nUmask:\t0022\n0\t0\npodman\nshm-rw'
    [[ -e $data/shm/x ]]
    if ((PHASE < 5)); then
        grep -q 'not applied by phase' "$BATS_TEST_TMPDIR/rung.log"
    else
        run ! grep 'not applied by phase' "$BATS_TEST_TMPDIR/rung.log"
    fi
}
