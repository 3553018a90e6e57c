// hooks: fork, feed the state on stdin, keep the output, wait with a timeout.
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

// config.md says nothing of a hook's output. runc keeps it, drops it when the hook succeeds and
// adds it to the error when it fails ("..., stdout: ..., stderr: ..."): the one line an engine
// shows then says why. So does rung: stdout and stderr go to memfds (no pipe to drain, so a
// chatty hook cannot block), read back only on failure, the last kHookOutputMax bytes of each.
constexpr size_t kHookOutputMax = 4096;

unique_fd output_memfd(const char* name) {
    unique_fd fd(::memfd_create(name, MFD_CLOEXEC));
    if (!fd) throw_errno(std::string("memfd_create for the hook's ") + name);
    return fd;
}

// `reason`, then each non-empty output quoted (rung/error.hpp: a newline cannot start a line).
std::string with_output(std::string reason, int out, int err) {
    for (auto [name, fd] : {std::pair{"stdout", out}, std::pair{"stderr", err}}) {
        off_t size = ::lseek(fd, 0, SEEK_END);
        if (size <= 0) continue;
        off_t from = std::max<off_t>(0, size - static_cast<off_t>(kHookOutputMax));
        std::string text(static_cast<size_t>(size - from), '\0');
        ssize_t n = ::pread(fd, text.data(), text.size(), from);
        text.resize(n > 0 ? static_cast<size_t>(n) : 0);
        while (!text.empty() && text.back() == '\n')
            text.pop_back();
        if (!text.empty()) reason += std::string(", ") + name + ": " + quote(text);
    }
    return reason;
}

// fd becomes the child's `target` (0, 1 or 2), without CLOEXEC.
void install_fd(int fd, int target, const char* what) {
    if (fd == target)
        check(::fcntl(fd, F_SETFD, 0), std::string("fcntl the hook's ") + what);
    else
        check(::dup2(fd, target), std::string("dup2 the hook's ") + what);
}

// In the forked child. Its errors travel as init's do (rung/sync.hpp): one error frame on
// `sync_fd`, whose CLOEXEC end a successful execve closes, so the runtime reads EOF instead.
[[noreturn]] void exec_hook(const Hook& h, int stdin_fd, int out_fd, int err_fd, int sync_fd) {
    try {
        check(::setpgid(0, 0), "setpgid"); // a group of its own, which a timeout kills whole
        install_fd(stdin_fd, STDIN_FILENO, "stdin");
        install_fd(out_fd, STDOUT_FILENO, "stdout");
        install_fd(err_fd, STDERR_FILENO, "stderr");
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
    unique_fd out = output_memfd("stdout"), err = output_memfd("stderr");
    auto [ours, theirs] = sys::socketpair("config.md: hooks, the hook's errors");
    pid_t pid = check(::fork(), "fork");
    if (pid == 0) exec_hook(h, state.get(), out.get(), err.get(), theirs.get());
    ::setpgid(pid, pid); // as the child does: whichever runs first, the group exists after fork
    theirs.reset();
    check_hook_started(pid, ours.get());
    int status;
    try {
        status = wait_hook(pid, h);
    } catch (const Error& e) {
        throw Error(with_output(e.what(), out.get(), err.get()));
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return;
    std::string reason = WIFEXITED(status)
                             ? "exit status " + std::to_string(WEXITSTATUS(status))
                             : std::string("killed by signal ") + strsignal(WTERMSIG(status));
    throw Error(with_output(reason, out.get(), err.get()));
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
