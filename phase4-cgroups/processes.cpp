// processes: the container's process tree, found by walking /proc. Phase 4 asks the cgroup
// instead (cgroup.procs) and kills it in one write (cgroup.kill).
#include "processes.hpp"

#include "rung/error.hpp"
#include "rung/log.hpp"
#include "rung/sys.hpp"

#include <csignal>
#include <filesystem>
#include <map>
#include <poll.h>
#include <sys/stat.h>

namespace rung {
namespace {

// How long delete --force waits for a SIGKILLed container to be gone.
constexpr int kKillTimeoutMs = 10000;

ino_t pid_namespace_of(const std::string& pid) {
    struct stat st;
    return ::stat(("/proc/" + pid + "/ns/pid").c_str(), &st) == 0 ? st.st_ino : 0;
}

// A process may exit while /proc is listed; it is then simply not there.
std::optional<ProcStat> stat_if_alive(pid_t pid) {
    try {
        return read_proc_stat(pid);
    } catch (const Error&) {
        return std::nullopt;
    }
}

} // namespace

bool shares_our_pid_namespace(pid_t init) {
    return pid_namespace_of(std::to_string(init)) == pid_namespace_of("self");
}

std::set<pid_t> container_pids(pid_t init) {
    bool own_ns = !shares_our_pid_namespace(init);
    ino_t init_ns = pid_namespace_of(std::to_string(init));
    std::map<pid_t, pid_t> parent;
    std::set<pid_t> pids = {init};
    for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
        std::string name = entry.path().filename();
        if (name.find_first_not_of("0123456789") != std::string::npos) continue;
        pid_t pid = std::stoi(name);
        if (own_ns) {
            if (pid_namespace_of(name) == init_ns) pids.insert(pid);
        } else if (auto st = stat_if_alive(pid)) {
            parent[pid] = st->ppid;
        }
    }
    for (bool grew = !own_ns; grew;) {
        grew = false;
        for (const auto& [pid, ppid] : parent)
            if (pids.count(ppid) && pids.insert(pid).second) grew = true;
    }
    return pids;
}

namespace {

// A container in the runtime's PID namespace has no teardown of its own: when init dies, its
// children are reparented, not killed. So stop the whole tree first, scanning again until no
// process is left running (a stopped process cannot fork), then kill what was stopped. Phase 4
// does this in one write, to cgroup.kill.
void kill_descendants(pid_t init) {
    std::set<pid_t> stopped = {init};
    log::trace("rung", "runtime.md: Delete, no PID namespace dies with init",
               "kill(SIGSTOP) init and its descendants until none runs, then kill(SIGKILL)");
    ::kill(init, SIGSTOP);
    for (bool grew = true; grew;) {
        grew = false;
        for (pid_t pid : container_pids(init))
            if (stopped.insert(pid).second) grew = ::kill(pid, SIGSTOP) == 0 || grew;
    }
    for (pid_t pid : stopped)
        if (pid != init) ::kill(pid, SIGKILL);
}

} // namespace

// delete --force (a rung extension; runtime.md's delete refuses a live container): SIGKILL, then
// wait until the process is gone. When a PID namespace's init dies, the kernel kills every other
// process in it, so the whole container goes.
void kill_and_wait(const State& s) {
    auto pidfd = open_init(s);
    if (!pidfd) return;
    if (shares_our_pid_namespace(s.pid)) kill_descendants(s.pid);
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
