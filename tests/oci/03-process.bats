#!/usr/bin/env bats
# Phase 3 and on: the container's names and its process as config.json describes them: hostname
# and domainname, process.env, cwd, user (uid, gid, additionalGids, umask).

load helpers
load bundle

setup() {
    setup_bundle
}

teardown() {
    teardown_bundle
}

@test "hostname and domainname are set in the container's UTS namespace" {
    require_phase 3
    update_config '.hostname = "box" | .domainname = "example.org"'
    run run_container sh -c 'hostname; uname -n; cat /proc/sys/kernel/domainname'
    assert_success
    assert_output $'box\nbox\nexample.org'
    [[ $(hostname) != box && $(cat /proc/sys/kernel/domainname) != example.org ]]
}

@test "hostname or domainname without a UTS namespace is a one-line error" {
    require_phase 3
    update_config '.linux.namespaces |= map(select(.type != "uts"))'
    set_args true
    run_to_file rung create --bundle "$BUNDLE" nouts
    assert_failure
    one_line
    assert_output --partial "need a UTS namespace"
    assert_clean nouts
    update_config 'del(.hostname) | .domainname = "example.org"'
    run_to_file rung create --bundle "$BUNDLE" nouts
    assert_failure
    assert_output --partial "need a UTS namespace"
    assert_clean nouts
}

@test "without hostname and a UTS namespace the container has the host's names" {
    require_phase 3
    update_config 'del(.hostname) | .linux.namespaces |= map(select(.type != "uts"))'
    run run_container sh -c 'hostname; readlink /proc/self/ns/uts'
    assert_success
    assert_output "$(hostname)"$'\n'"$(readlink /proc/self/ns/uts)"
}

@test "process.env is the environment, exactly; rung's own does not leak in" {
    require_phase 3
    update_config '.process.env = ["PATH=/bin:/usr/bin", "A=1", "B=two words", "EMPTY="]'
    set_args env
    RUNG_TEST_MARKER=leak-$$ run rung run --bundle "$BUNDLE" env
    assert_success
    assert_equal "$(sort <<<"$output")" "$(printf '%s\n' A=1 'B=two words' EMPTY= PATH=/bin:/usr/bin)"
    refute_output --partial RUNG_TEST_MARKER
}

@test "process.cwd is the working directory; a missing one fails create" {
    require_phase 3
    mkdir -p "$ROOTFS/srv/work"
    update_config '.process.cwd = "/srv/work"'
    run run_container pwd
    assert_success
    assert_output /srv/work
    update_config '.process.cwd = "/no/such/dir"'
    set_args pwd
    run_to_file rung create --bundle "$BUNDLE" badcwd
    assert_failure
    one_line
    assert_output --partial '"/no/such/dir": No such file or directory'
    assert_clean badcwd
}

@test "process.user: uid, gid and additionalGids" {
    require_phase 3
    update_config '.process.user = {uid: 1000, gid: 1001, additionalGids: [10, 20]}'
    run run_container sh -c 'id -u; id -g; grep -E "^(Uid|Gid|Groups):" /proc/self/status'
    assert_success
    assert_line --index 0 1000
    assert_line --index 1 1001
    assert_line --regexp $'^Uid:\t1000\t1000\t1000\t1000$'
    assert_line --regexp $'^Gid:\t1001\t1001\t1001\t1001$'
    assert_line --regexp $'^Groups:\t10 20 ?$'
}

@test "4294967295, (uid_t)-1, as a uid, gid or additional gid fails create in one line" {
    require_phase 3
    local field
    for field in uid gid 'additionalGids[1]'; do
        update_config '.process.user = {uid: 0, gid: 0, additionalGids: [1, 2]}'
        update_config ".process.user.$field = 4294967295"
        set_args true
        run_to_file rung create --bundle "$BUNDLE" minus1
        assert_failure
        one_line
        assert_output "rung: create: config.json: process.user.$field: 4294967295 is -1 to the kernel, not an ID"
        assert_clean minus1
    done
}

@test "process.user without additionalGids drops the runtime's supplementary groups" {
    require_phase 3
    update_config '.process.user = {uid: 0, gid: 0}'
    set_args grep Groups /proc/self/status
    run setpriv --groups 44,55 "$RUNG" --root "$ROOT" run --bundle "$BUNDLE" groups
    assert_success
    assert_output --regexp $'^Groups:\t ?$'
}

@test "process.user.umask is the process's umask; unset, it is the runtime's" {
    require_phase 3
    update_config '.process.user.umask = 23' # 0027
    run run_container sh -c 'grep Umask /proc/self/status; touch /tmp/f; mkdir /tmp/d; stat -c %a /tmp/f /tmp/d'
    assert_success
    assert_output $'Umask:\t0027\n640\n750'
    update_config 'del(.process.user.umask)'
    set_args grep Umask /proc/self/status
    run bash -c 'umask 0077 && "$0" --root "$1" run --bundle "$2" inherit' "$RUNG" "$ROOT" "$BUNDLE"
    assert_success
    assert_output $'Umask:\t0077'
}

@test "a program that is not in the container's PATH fails create with 127" {
    require_phase 3
    set_args no-such-program
    run_to_file rung create --bundle "$BUNDLE" noprog
    assert_failure 127
    one_line
    assert_output --partial '"no-such-program"'
    assert_clean noprog
}

@test "process.args[0] is looked up as execvp does: a directory of that name is passed over" {
    require_phase 3
    mkdir -p "$ROOTFS/usr/local/bin/echo"
    update_config '.process.env = ["PATH=/usr/local/bin:/bin"]'
    run run_container echo found
    assert_success
    assert_output found
    update_config '.process.args = [""]'
    run_to_file rung create --bundle "$BUNDLE" emptycmd
    assert_failure
    one_line
    assert_output --partial '.process.args[0]'
    assert_clean emptycmd
}

@test "a directory as process.args[0] fails create, not start, with 126" {
    require_phase 3
    set_args /bin
    run_to_file rung create --bundle "$BUNDLE" isdir
    assert_failure 126
    one_line
    assert_output --partial 'exec "/bin": Permission denied'
    assert_clean isdir
}

@test "process.oomScoreAdj is the process's oom_score_adj; unset, it is the runtime's" {
    require_phase 3
    update_config '.process.oomScoreAdj = 123'
    run run_container cat /proc/self/oom_score_adj
    assert_success
    assert_output 123
    run grep -c oomScoreAdj "$BATS_TEST_TMPDIR/rung.log"
    assert_output 0
    update_config 'del(.process.oomScoreAdj)'
    run run_container cat /proc/self/oom_score_adj
    assert_success
    assert_output "$(cat /proc/self/oom_score_adj)"
}

@test "a process.cwd through /proc/self/fd never starts the program outside the rootfs" {
    require_phase 3
    # CVE-2024-21626: a runtime's init held a host directory open (here: the state directory,
    # kept for the exec FIFO), and an image's WORKDIR of /proc/self/fd/N made it the process's
    # cwd, from which ".." walks the host. Whatever fds init holds, each N must fail create or
    # land inside the container; the host's state directory must never be listed.
    local n
    for n in 3 4 5 6 7 8 9; do
        update_config --arg c "/proc/self/fd/$n" '.process.cwd = $c'
        set_args sh -c 'ls -a ..'
        run_to_file rung run --bundle "$BUNDLE" "cwd$n"
        if ((status == 0)); then
            refute_output --partial "cwd$n"
        else
            one_line
            assert_output --regexp "process.cwd|chdir"
        fi
        rung delete --force "cwd$n" 2>/dev/null || true
        assert_clean "cwd$n"
    done
}
