// processes: the container's process tree, listed and killed. Phase 4 switches this file to the
// container's cgroup (cgroup.procs, cgroup.kill).
#pragma once

#include "state.hpp"

#include <set>
#include <sys/types.h>

namespace rung {

// The container's processes, by host pid: every process in init's PID namespace; or, for a
// container that shares the runtime's, init and its descendants (phase 4 asks the cgroup).
std::set<pid_t> container_pids(pid_t init);
// Whether init is in the runtime's own PID namespace: then nothing dies with it.
bool shares_our_pid_namespace(pid_t init);

// delete --force: SIGKILL every process of the container and wait until init is gone.
void kill_and_wait(const State& s);

} // namespace rung
