# helpers.bash: shared by tests/docs/*.bats, the tests of the learner's tools (phase-diff,
# lab-check, doctor). They run once, not per phase: REPO_ROOT is the repository.

bats_require_minimum_version 1.5.0
export BATS_LIB_PATH=${BATS_LIB_PATH:-/usr/lib/bats}
bats_load_library bats-support
bats_load_library bats-assert

REPO_ROOT=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
export REPO_ROOT
