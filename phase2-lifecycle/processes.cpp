// processes: the container's process tree. In phase 2 init is always PID 1 of a new PID
// namespace, so killing it kills the tree. Phase 4 asks the cgroup instead (cgroup.kill).
#include "processes.hpp"

#include "rung/error.hpp"
#include "rung/log.hpp"
#include "rung/sys.hpp"

#include <csignal>
#include <poll.h>

namespace rung {
namespace {

// How long delete --force waits for a SIGKILLed container to be gone.
constexpr int kKillTimeoutMs = 10000;

} // namespace

// delete --force (a rung extension; runtime.md's delete refuses a live container): SIGKILL, then
// wait until the process is gone. When a PID namespace's init dies, the kernel kills every other
// process in it, so the whole container goes.
void kill_and_wait(const State& s) {
    auto pidfd = open_init(s);
    if (!pidfd) return;
    log::trace("rung", "rung: delete --force", "pidfd_send_signal(", s.pid, ", SIGKILL)");
    try {
        sys::pidfd_send_signal(pidfd->get(), SIGKILL, s.pid);
    } catch (const Error& e) {
        if (e.err() != ESRCH) throw;
    }
    pollfd p{pidfd->get(), POLLIN, 0};
    int rc;
    while ((rc = ::poll(&p, 1, kKillTimeoutMs)) == -1 && errno == EINTR) {
    }
    if (rc != 1) throw Error("container process " + std::to_string(s.pid) + " outlived SIGKILL");
}

} // namespace rung
