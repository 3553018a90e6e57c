// processes: the container's processes, which from phase 4 on are the processes of its cgroup
// (cgroup.procs), listed, signalled and killed through it (cgroup.kill).
#pragma once

#include "state.hpp"

#include <set>
#include <sys/types.h>

namespace rung {

// The container's processes, by host pid: every process in its cgroup and the cgroups below.
std::set<pid_t> container_pids(const State& s);

// kill --all: `sig` to every process of the container. SIGKILL goes through cgroup.kill; any
// other signal is sent to each process with the cgroup frozen, so that none forks past the list.
void signal_all(const State& s, int sig);

// delete --force and the destroy path: kill every process of the container (thawing it first)
// and wait until its cgroup is empty.
void kill_and_wait(const State& s);

// The destroy path: rmdir the container's cgroup, and the ancestors create made for it.
void remove_cgroup(const State& s);

} // namespace rung
