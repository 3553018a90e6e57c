#!/usr/bin/env bats
# The command line itself: every mistake in it is ONE line on stderr and exit status 1, naming
# the command, the flag or the argument; -h and -v/--version work. Phase 1 has only `run`;
# phase 2 adds the lifecycle commands, phase 3 exec, ps and spec.

load helpers

setup() {
    # shellcheck disable=SC2034 # rung() in helpers.bash passes it as --root
    ROOT=$BATS_TEST_TMPDIR/state
}

@test "an unknown command is named, with exit status 1" {
    require_phase 1
    run -1 rung foo
    assert_output 'rung: unknown command "foo"'
}

@test "an unknown command asked for help is still an unknown command, not the general help" {
    require_phase 1
    run -1 rung checkpoint -h
    assert_output 'rung: unknown command "checkpoint"'
}

@test "no command at all is one line" {
    require_phase 1
    run -1 rung
    assert_output 'rung: no command given (rung --help lists them)'
}

@test "an unknown flag of run is an error, not the container's command" {
    require_phase 1
    run -1 rung run --bogus true
    assert_output 'rung: run: unknown flag "--bogus"'
    run -1 rung run -x true
    assert_output 'rung: run: unknown flag "-x"'
}

@test "an unknown flag before the command is rung's own, and named so" {
    require_phase 1
    run -1 rung --bogus run true
    assert_output 'rung: unknown flag "--bogus"'
}

@test "a flag without its value is one line, exit status 1" {
    require_phase 1
    run -1 rung --log
    assert_output 'rung: --log: 1 required TEXT missing'
}

@test "a flag with a value it does not take names the flag once" {
    require_phase 1
    run -1 rung --log-format xml run true
    assert_output 'rung: --log-format: xml not in {text,json}'
}

@test "-v prints the version as --version does" {
    require_phase 1
    run -0 rung --version
    local long=$output
    [[ ${lines[0]} == "rung version "* ]]
    [[ ${lines[1]} == "phase: $PHASE-"* ]]
    run -0 rung -v
    assert_output "$long"
}

@test "-h prints help and exits 0" {
    require_phase 1
    run -0 rung -h
    assert_line --partial 'Usage: rung'
    run -0 rung run -h
    assert_line --partial 'Usage: rung run'
}

@test "every lifecycle command refuses an unknown flag by name" {
    require_phase 2
    local cmd
    for cmd in create start state kill delete list run; do
        run -1 rung "$cmd" --bogus x
        assert_output "rung: $cmd: unknown flag \"--bogus\""
    done
}

@test "an argument a command does not take is named" {
    require_phase 2
    run -1 rung state one two
    assert_output 'rung: state: unexpected argument "two"'
}

@test "a missing container ID is one line" {
    require_phase 2
    run -1 rung state
    assert_output 'rung: state: id is required'
}

@test "exec, ps and spec refuse an unknown flag by name" {
    require_phase 3
    local cmd
    for cmd in exec ps spec; do
        run -1 rung "$cmd" --bogus x true
        assert_output "rung: $cmd: unknown flag \"--bogus\""
    done
}

@test "exec -e takes one value: the next word is the container ID" {
    require_phase 3
    run -1 rung exec -e A=1 nosuch true
    assert_output 'rung: exec: container "nosuch" does not exist'
}
