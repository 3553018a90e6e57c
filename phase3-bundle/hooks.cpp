// hooks: fork, feed the state on stdin, wait with a timeout.
#include "hooks.hpp"

#include "rung/error.hpp"
#include "rung/file.hpp"
#include "rung/log.hpp"
#include "rung/sys.hpp"

#include <algorithm>
#include <csignal>
#include <fcntl.h>
#include <limits>
#include <poll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

namespace rung {
namespace {

[[noreturn]] void exec_hook(const Hook& h, int stdin_fd) {
    ::dup2(stdin_fd, STDIN_FILENO);
    std::vector<std::string> args = h.args.empty() ? std::vector<std::string>{h.path} : h.args;
    std::vector<char*> argv, envp;
    for (auto& a : args)
        argv.push_back(a.data());
    argv.push_back(nullptr);
    std::vector<std::string> env = h.env;
    for (auto& e : env)
        envp.push_back(e.data());
    envp.push_back(nullptr);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    ::execve(h.path.c_str(), argv.data(), envp.data());
    ::_exit(127);
}

// Wait for the hook, killing it when its timeout (seconds, if set) runs out. A pidfd makes
// this a single poll(2) rather than a sleep loop.
int wait_hook(pid_t pid, const Hook& h) {
    // poll(2) takes an int of milliseconds; clamp so a huge timeout cannot overflow into "now".
    int timeout_ms = h.timeout ? static_cast<int>(std::min<int64_t>(
                                     int64_t{*h.timeout} * 1000, std::numeric_limits<int>::max()))
                               : -1;
    unique_fd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
    if (pidfd) {
        pollfd p{pidfd.get(), POLLIN, 0};
        int n;
        while ((n = ::poll(&p, 1, timeout_ms)) == -1 && errno == EINTR) {
        }
        if (n == 0) {
            ::kill(pid, SIGKILL);
            sys::wait_for(pid);
            throw Error("timed out after " + std::to_string(*h.timeout) + "s");
        }
    }
    return sys::wait_for(pid);
}

void run_hook(const Hook& h, const std::string& stage, const std::string& state_json) {
    log::trace("runtime", "config.md: hooks, " + stage, "exec hook ", quote(h.path),
               " with the state on stdin");
    int fds[2];
    check(::pipe2(fds, O_CLOEXEC), "pipe");
    unique_fd read_end(fds[0]), write_end(fds[1]);
    pid_t pid = check(::fork(), "fork");
    if (pid == 0) exec_hook(h, read_end.get());
    read_end.reset();
    try {
        write_full(write_end.get(), state_json);
    } catch (const Error&) {
        // A hook need not read its stdin; EPIPE is not its failure.
    }
    write_end.reset();
    int status = wait_hook(pid, h);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return;
    if (WIFEXITED(status)) throw Error("exit status " + std::to_string(WEXITSTATUS(status)));
    throw Error(std::string("killed by signal ") + strsignal(WTERMSIG(status)));
}

} // namespace

void run_hooks(const std::vector<Hook>& hooks, const std::string& stage,
               const std::string& state_json) {
    for (size_t i = 0; i < hooks.size(); ++i) {
        with_context(stage + " hook " + quote(hooks[i].path),
                     [&] { run_hook(hooks[i], stage, state_json); });
    }
}

void run_hooks_warn_only(const std::vector<Hook>& hooks, const std::string& stage,
                         const std::string& state_json) {
    for (const auto& h : hooks) {
        try {
            run_hook(h, stage, state_json);
        } catch (const Error& e) {
            log::warn(stage + " hook " + quote(h.path) + ": " + e.what());
        }
    }
}

} // namespace rung
