#!/usr/bin/env bats
# Phase 5: process.apparmorProfile in the guest, whose Debian kernel has AppArmor enabled (this
# host has none, and tests/oci/05-process.bats checks that asking for it there is an error). No
# profile is loaded in the guest (no apparmor_parser), so these check that rung asks the kernel:
# "unconfined" is taken, and a profile the kernel does not have fails start with its name.

load helpers

setup() {
    require_guest
}

teardown() {
    [[ -z ${BUNDLE:-} ]] || teardown_bundle
}

# apparmor_on: the guest's kernel enforces AppArmor.
apparmor_on() {
    [[ $(cat /sys/module/apparmor/parameters/enabled 2>/dev/null) == Y ]]
}

@test "apparmorProfile unconfined: the program runs, and reads its label back" {
    require_phase 5
    apparmor_on || fail "the guest kernel has no AppArmor"
    setup_bundle
    update_config '.process.apparmorProfile = "unconfined"'
    run run_container cat /proc/self/attr/current
    assert_success
    assert_output unconfined
}

@test "apparmorProfile the kernel has not loaded: the program does not run, the error names it" {
    require_phase 5
    apparmor_on || fail "the guest kernel has no AppArmor"
    setup_bundle
    update_config '.process.apparmorProfile = "rung-no-such-profile"'
    run run_container echo ran
    assert_failure
    refute_line ran
    assert_output --partial 'process.apparmorProfile'
    assert_output --partial 'No such file or directory'
}
