// foreground: run and exec wait for their process, forwarding signals and relaying the terminal.
#pragma once

#include "rung/fd.hpp"

#include <sys/types.h>

namespace rung {

// For the commands that wait in the foreground (run, exec): block SIGINT, SIGTERM, SIGCHLD and
// SIGWINCH and return a signalfd that reads them.
unique_fd block_signals();
// Forward SIGINT and SIGTERM to `pid` until it exits, relaying the user's terminal to
// `pty_master` if that is not -1 (and its size, on SIGWINCH). Returns the shell-style exit code.
int wait_in_foreground(pid_t pid, int sigfd, int pty_master);

} // namespace rung
