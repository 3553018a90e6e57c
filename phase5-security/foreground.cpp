// foreground: the commands that wait for a process they started (run, exec) and pass the
// user's signals and terminal on to it.
#include "foreground.hpp"

#include "rung/error.hpp"
#include "rung/log.hpp"
#include "rung/sys.hpp"
#include "terminal.hpp"

#include <csignal>
#include <optional>
#include <poll.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

namespace rung {

// Block the signals `run` forwards and read them from a signalfd instead: no handler, no global
// pid for a handler to read, and no race between clone and handler installation. init inherits
// the mask and clears it just before execve.
unique_fd block_signals() {
    sigset_t set;
    sigemptyset(&set);
    for (int sig : {SIGINT, SIGTERM, SIGCHLD, SIGWINCH})
        sigaddset(&set, sig);
    check(sigprocmask(SIG_BLOCK, &set, nullptr), "sigprocmask");
    return unique_fd(check(signalfd(-1, &set, SFD_CLOEXEC), "signalfd"));
}

namespace {

// Relay the user's terminal and the container's pty until one side closes.
struct Relay {
    int pty;
    std::optional<RawTerminal> raw;
    bool stdin_open, pty_open;
    explicit Relay(int pty_master) : pty(pty_master), stdin_open(pty >= 0), pty_open(pty >= 0) {
        if (pty >= 0) raw.emplace();
    }
    // What the container wrote before it exited is still in the pty: show it all.
    void drain() {
        pollfd p{pty, POLLIN, 0};
        while (pty_open && ::poll(&p, 1, 0) == 1)
            pty_open = pump(pty, STDOUT_FILENO);
    }
};

} // namespace

// Forward SIGINT and SIGTERM until init exits, and relay the terminal if there is one. Note that
// a PID 1 ignores any signal it has no handler for, so `sleep` as PID 1 will not die of a
// forwarded SIGTERM; a shell with a trap will.
int wait_in_foreground(pid_t pid, int sigfd, int pty_master) {
    Relay relay(pty_master);
    for (;;) {
        pollfd fds[3] = {{sigfd, POLLIN, 0},
                         {relay.stdin_open ? STDIN_FILENO : -1, POLLIN, 0},
                         {relay.pty_open ? relay.pty : -1, POLLIN, 0}};
        if (::poll(fds, 3, -1) == -1) {
            if (errno == EINTR) continue;
            throw_errno("poll");
        }
        if (fds[2].revents) relay.pty_open = pump(relay.pty, STDOUT_FILENO);
        if (fds[1].revents) relay.stdin_open = pump(STDIN_FILENO, relay.pty);
        if (!(fds[0].revents & POLLIN)) continue;
        signalfd_siginfo si;
        if (::read(sigfd, &si, sizeof si) != static_cast<ssize_t>(sizeof si)) continue;
        int sig = static_cast<int>(si.ssi_signo);
        if (sig == SIGWINCH) { // the user's terminal was resized: so is the container's
            if (relay.pty >= 0) copy_window_size(STDIN_FILENO, relay.pty);
            continue;
        }
        if (sig != SIGCHLD) {
            log::trace("rung", "", "kill(", pid, ", ", sys::signal_name(sig), ")   # forwarded");
            ::kill(pid, sig);
            continue;
        }
        int status = 0;
        if (::waitpid(pid, &status, WNOHANG) == pid) {
            relay.drain();
            log::trace("rung", "", "waitpid(", pid, ") = exit code ", sys::exit_code_of(status));
            return sys::exit_code_of(status);
        }
    }
}

} // namespace rung
