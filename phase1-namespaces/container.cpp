// container: the runtime's side of `rung run`.
//
// The parent clones init into new namespaces, learns over the sync socket whether init reached
// execve(), then waits for the container to exit while forwarding SIGINT and SIGTERM to it.
#include "container.hpp"

#include "foreground.hpp"
#include "init.hpp"
#include "rung/error.hpp"
#include "rung/fd.hpp"
#include "rung/log.hpp"
#include "rung/sync.hpp"
#include "rung/sys.hpp"

#include <sched.h>
#include <sys/stat.h>
#include <sys/wait.h>

namespace rung {
namespace {

// The namespaces phase 1 creates. The user and cgroup namespaces come with config.json in
// phase 3 (user namespaces need uid maps written from outside, phase 5).
constexpr unsigned long kNamespaces =
    CLONE_NEWUTS | CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWNET;

void check_rootfs(const std::string& rootfs) {
    struct stat st;
    if (::stat(rootfs.c_str(), &st) == -1) throw_errno("rootfs " + quote(rootfs));
    if (!S_ISDIR(st.st_mode)) throw Error("rootfs " + quote(rootfs), ENOTDIR);
}

pid_t spawn_init(const RunOptions& opts, unique_fd& parent_end, unique_fd& child_end) {
    log::step("config-linux.md: namespaces", "clone3(", sys::clone_flags_string(kNamespaces),
              "|SIGCHLD)");
    sys::CloneArgs args;
    args.flags = kNamespaces;
    pid_t pid = sys::clone_process(args).pid;
    if (pid == 0) {
        log::set_actor("init");
        parent_end.reset();
        container_init(opts, child_end.get());
    }
    child_end.reset();
    log::step("", "init is pid ", pid, " on the host, pid 1 inside");
    return pid;
}

// init sends one error frame if it fails, and nothing if it reaches execve: CLOEXEC closes its
// end of the socket, so EOF means the container's command is running.
void wait_for_exec(pid_t pid, int sync_fd) {
    try {
        sync::expect(sync_fd, sync::Type::eof, "rung");
    } catch (Error& e) {
        int status = sys::wait_for(pid);
        e.add_context("init").set_exit_status(WIFEXITED(status) ? WEXITSTATUS(status) : 1);
        throw;
    }
}

} // namespace

int run_container(const RunOptions& opts) {
    check_rootfs(opts.rootfs);
    unique_fd sigfd = block_signals();
    auto [parent_end, child_end] = sys::socketpair();
    pid_t pid = spawn_init(opts, parent_end, child_end);
    wait_for_exec(pid, parent_end.get());
    return forward_signals_until_exit(pid, sigfd.get());
}

} // namespace rung
