// processes: the container's process tree, killed. Phase 4 switches this file to the
// container's cgroup (cgroup.kill).
#pragma once

#include "state.hpp"

namespace rung {

// delete --force: SIGKILL the container and wait until init is gone.
void kill_and_wait(const State& s);

} // namespace rung
