// foreground: the command that waits for the process it started (run) and passes the user's
// signals on to it.
#include "foreground.hpp"

#include "rung/error.hpp"
#include "rung/log.hpp"
#include "rung/sys.hpp"

#include <csignal>
#include <cstring>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

namespace rung {

// Block the signals the parent handles and read them from a signalfd instead: no handler, no
// global pid for a handler to read, and no race between fork and handler installation. init
// inherits the mask and clears it just before execve.
unique_fd block_signals() {
    sigset_t set;
    sigemptyset(&set);
    for (int sig : {SIGINT, SIGTERM, SIGCHLD})
        sigaddset(&set, sig);
    sys::sigprocmask(SIG_BLOCK, set, "rung: forward SIGINT and SIGTERM to the container");
    return sys::signalfd(set, SFD_CLOEXEC);
}

// Forward SIGINT and SIGTERM until init exits. Note that a PID 1 ignores any signal it has no
// handler for, so `sleep` as PID 1 will not die of a forwarded SIGTERM; a shell with a trap will.
int forward_signals_until_exit(pid_t pid, int sigfd) {
    for (;;) {
        signalfd_siginfo si;
        ssize_t n = ::read(sigfd, &si, sizeof si);
        if (n == -1 && errno == EINTR) continue;
        if (n != static_cast<ssize_t>(sizeof si)) throw_errno("read signalfd");
        int sig = static_cast<int>(si.ssi_signo);
        if (sig == SIGCHLD) {
            int status = 0;
            if (sys::waitpid(pid, status, WNOHANG) == pid) return sys::exit_code_of(status);
            continue;
        }
        sys::kill(pid, sig, "rung: forward the signal to the container");
    }
}

} // namespace rung
