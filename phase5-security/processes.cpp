// processes: the container's processes are those of its cgroup. Phase 3 walked /proc for init's
// PID namespace, or init's descendants when it shared the runtime's, and stopped them one by one
// before SIGKILL, since nothing dies with an init that is not a namespace's pid 1; a cgroup holds
// every process the container ever forked, whatever its namespaces, and cgroup.kill (Linux 5.14)
// kills all of them in one write.
#include "processes.hpp"

#include "rung/error.hpp"
#include "rung/log.hpp"
#include "rung/sys.hpp"

#include <cerrno>
#include <csignal>
#include <poll.h>

namespace rung {

namespace {

// Rootless without a delegated cgroup, the processes of a container are not listed anywhere:
// kill --all signals its init (SIGKILL takes its pid namespace with it).
void signal_init(const State& s, int sig) {
    if (std::optional<unique_fd> pidfd = open_init(s))
        sys::pidfd_send_signal(pidfd->get(), sig, s.pid, "runc: kill --all, no cgroup: init");
}

// A container without a cgroup (rootless, none delegated; or a create that stopped before it
// made one, whose pid is 0): SIGKILL to its init, which takes its pid namespace's other
// processes with it, then wait until it has exited (its pidfd turns readable).
void kill_init_and_wait(const State& s) {
    std::optional<unique_fd> pidfd = open_init(s);
    if (!pidfd) return;
    log::trace("rung", "runtime.md: Delete", "no cgroup: SIGKILL init (pid ", s.pid, ") and wait");
    sys::pidfd_send_signal(pidfd->get(), SIGKILL, s.pid);
    pollfd p = {pidfd->get(), POLLIN, 0};
    while (::poll(&p, 1, -1) == -1)
        if (errno != EINTR) throw_errno("poll the pidfd of init");
}

} // namespace

std::set<pid_t> container_pids(const State& s) {
    std::vector<pid_t> pids = container_cgroup(s).processes();
    return {pids.begin(), pids.end()};
}

// runc's kill --all. Freezing first is what runc does too: a process that forks between the read
// of cgroup.procs and its signal would leave its child unsignalled. A container that was paused
// stays paused; the signals wait until resume (SIGKILL does not).
void signal_all(const State& s, int sig) {
    if (s.cgroup.empty()) return signal_init(s, sig);
    cgroups::Cgroup cg = container_cgroup(s);
    if (sig == SIGKILL) {
        log::trace("rung", "runc: kill --all KILL", "cgroup.kill of ", quote(cg.dir()));
        cg.kill();
        return;
    }
    bool was_frozen = cg.frozen();
    if (!was_frozen) cg.freeze();
    ScopeGuard thaw_on_error([&] {
        if (!was_frozen) cg.thaw();
    });
    for (pid_t pid : cg.processes()) {
        try {
            sys::kill(pid, sig, "runc: kill --all, every process of the cgroup");
        } catch (const Error& e) {
            if (e.err() != ESRCH) throw; // exited since the list was read
        }
    }
    thaw_on_error.dismiss();
    if (!was_frozen) cg.thaw();
}

// delete --force (a rung extension; runtime.md's delete refuses a live container): whatever the
// container's namespaces, its processes are its cgroup's. Cgroup::kill thaws a paused one first.
void kill_and_wait(const State& s) {
    if (s.cgroup.empty()) return kill_init_and_wait(s);
    cgroups::Cgroup cg = container_cgroup(s);
    log::trace("rung", "runtime.md: Delete", "kill every process of ", quote(cg.dir()),
               " (thaw, cgroup.kill, wait until empty)");
    cg.kill();
}

// runtime.md, "Delete": the resources create made go, the cgroup among them.
void remove_cgroup(const State& s) {
    if (s.cgroup.empty()) return;
    container_cgroup(s).remove(s.cgroups_created);
}

} // namespace rung
