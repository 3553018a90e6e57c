// hooks: fork, feed the state on stdin, wait with a timeout.
#include "hooks.hpp"

#include "process.hpp"
#include "rung/error.hpp"
#include "rung/file.hpp"
#include "rung/log.hpp"
#include "rung/sync.hpp"
#include "rung/sys.hpp"

#include <algorithm>
#include <csignal>
#include <fcntl.h>
#include <limits>
#include <poll.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

namespace rung {
namespace {

// config.md, hooks: the state goes to the hook on stdin. It is written whole into a memfd before
// the fork, so the hook may read all of it, part of it or none: rung never blocks on a full pipe,
// nor dies of SIGPIPE when a hook exits without reading.
unique_fd state_on_stdin(const std::string& state_json) {
    unique_fd fd(::memfd_create("rung-hook-state", MFD_CLOEXEC));
    if (!fd) throw_errno("memfd_create for the hook's state");
    write_full(fd.get(), state_json);
    check(::lseek(fd.get(), 0, SEEK_SET), "lseek the hook's state");
    return fd;
}

// In the forked child. Its errors travel as init's do (rung/sync.hpp): one error frame on
// `sync_fd`, whose CLOEXEC end a successful execve closes, so the runtime reads EOF instead.
[[noreturn]] void exec_hook(const Hook& h, int stdin_fd, int sync_fd) {
    try {
        check(::setpgid(0, 0), "setpgid"); // a group of its own, which a timeout kills whole
        if (stdin_fd == STDIN_FILENO)
            check(::fcntl(stdin_fd, F_SETFD, 0), "fcntl the hook's stdin");
        else
            check(::dup2(stdin_fd, STDIN_FILENO), "dup2 the hook's stdin"); // not CLOEXEC
        execute(h.path, h.args.empty() ? std::vector<std::string>{h.path} : h.args, h.env);
    } catch (const std::exception& e) {
        sync::send_error(sync_fd, e);
        ::_exit(exit_status_of(e));
    }
}

// EOF on the sync socket: the hook runs. An error frame: it could not be started; reap it and
// pass its own error on (for example `exec "/x": No such file or directory`).
void check_hook_started(pid_t pid, int sync_fd) {
    try {
        sync::expect(sync_fd, sync::Type::eof, "runtime");
    } catch (const Error&) {
        sys::wait_for(pid);
        throw;
    }
}

// Wait for the hook, killing it when its timeout (seconds, if set) runs out. A pidfd makes
// this a single poll(2) rather than a sleep loop.
int wait_hook(pid_t pid, const Hook& h) {
    // poll(2) takes an int of milliseconds; clamp so a huge timeout cannot overflow into "now".
    int timeout_ms = h.timeout ? static_cast<int>(std::min<int64_t>(
                                     int64_t{*h.timeout} * 1000, std::numeric_limits<int>::max()))
                               : -1;
    // Our own unreaped child cannot have gone from the pid table, so a failure here is real: say
    // so, after taking the hook and its group down, rather than wait without a timeout.
    unique_fd pidfd;
    try {
        pidfd = sys::pidfd_open(pid, "config.md: hooks, timeout");
    } catch (const Error&) {
        ::kill(-pid, SIGKILL);
        sys::wait_for(pid);
        throw;
    }
    pollfd p{pidfd.get(), POLLIN, 0};
    int n;
    while ((n = ::poll(&p, 1, timeout_ms)) == -1 && errno == EINTR) {
    }
    if (n == -1) throw_errno("poll the hook's pidfd");
    if (n == 0) {
        // The hook's group: what it started in the background dies with it.
        ::kill(-pid, SIGKILL);
        sys::wait_for(pid);
        throw Error("timed out after " + std::to_string(*h.timeout) + "s");
    }
    return sys::wait_for(pid);
}

void run_hook(const Hook& h, const std::string& stage, const std::string& state_json) {
    log::trace("runtime", "config.md: hooks, " + stage, "exec hook ", quote(h.path),
               " with the state on stdin");
    unique_fd state = state_on_stdin(state_json);
    auto [ours, theirs] = sys::socketpair("config.md: hooks, the hook's errors");
    pid_t pid = check(::fork(), "fork");
    if (pid == 0) exec_hook(h, state.get(), theirs.get());
    ::setpgid(pid, pid); // as the child does: whichever runs first, the group exists after fork
    theirs.reset();
    check_hook_started(pid, ours.get());
    int status = wait_hook(pid, h);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return;
    if (WIFEXITED(status)) throw Error("exit status " + std::to_string(WEXITSTATUS(status)));
    throw Error(std::string("killed by signal ") + strsignal(WTERMSIG(status)));
}

// How a failure names the hook: its stage, its index in config.json's list, and its path, as in
// `createRuntime hook[1] "/usr/bin/x"`.
std::string hook_name(const std::string& stage, size_t index, const Hook& h) {
    return stage + " hook[" + std::to_string(index) + "] " + quote(h.path);
}

} // namespace

void run_hooks(const std::vector<Hook>& hooks, const std::string& stage,
               const std::string& state_json) {
    for (size_t i = 0; i < hooks.size(); ++i) {
        with_context(hook_name(stage, i, hooks[i]), [&] { run_hook(hooks[i], stage, state_json); });
    }
}

void run_hooks_warn_only(const std::vector<Hook>& hooks, const std::string& stage,
                         const std::string& state_json) {
    for (size_t i = 0; i < hooks.size(); ++i) {
        try {
            run_hook(hooks[i], stage, state_json);
        } catch (const Error& e) {
            log::warn(hook_name(stage, i, hooks[i]) + ": " + e.what());
        }
    }
}

} // namespace rung
