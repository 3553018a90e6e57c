// foreground: `run` waits for its process, forwarding signals.
#pragma once

#include "rung/fd.hpp"

#include <sys/types.h>

namespace rung {

// For the command that waits in the foreground (run): block SIGINT, SIGTERM and SIGCHLD and
// return a signalfd that reads them.
unique_fd block_signals();
// Forward SIGINT and SIGTERM to `pid` until it exits. Returns the shell-style exit code.
int forward_signals_until_exit(pid_t pid, int sigfd);

} // namespace rung
