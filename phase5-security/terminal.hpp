// terminal: process.terminal, the console socket, and a foreground relay.
//
// With `terminal: true` the container's stdio is the slave side of a new pseudoterminal. The
// master goes to whoever manages the container: over the --console-socket (SCM_RIGHTS), as
// runc does for podman/conmon, or, for `rung run` in the foreground, to rung itself, which
// relays it to the user's terminal.
#pragma once

#include "rung/fd.hpp"

#include <optional>
#include <string>
#include <termios.h>

namespace rung {

struct ConsoleSize;
struct User;

// init: open a pty in the container's devpts, give it to `user`, make it the controlling
// terminal and stdio, and send the master over `console_socket`. Runs after pivot_root. The pty
// takes `size`, or else the size of the terminal on stdin, if any. Returns the pty's path,
// /dev/pts/N.
std::string setup_terminal(int console_socket, const std::string& container_id,
                           const std::optional<ConsoleSize>& size, const User& user);

// runtime: where init sends the pty master. With a --console-socket that is the manager's
// socket; without one (run or exec in the foreground) one end of a socketpair whose other end
// rung keeps, to relay the terminal itself. Both empty when there is no terminal.
struct Console {
    unique_fd init_end; // init sends the pty master here
    unique_fd our_end;  // foreground: receive_pty_master() reads it here
};
Console open_console(bool terminal, const std::string& console_socket);
// A unix(7) SOCK_STREAM socket connected to `path`, CLOEXEC; errors name `what` and the path.
// Also what linux.seccomp's listenerPath is reached by (seccomp.cpp).
unique_fd connect_unix_socket(const std::string& path, const std::string& what);
// One sendmsg(2) of `payload` with `fd` attached (SCM_RIGHTS); an error names `what`.
void send_fd(int sock, int fd, const std::string& payload, const std::string& what);

// runtime: receive the pty master that init sent (the foreground path).
unique_fd receive_pty_master(int sock);

// Puts the user's terminal into raw mode for the lifetime of the object, if stdin is a tty.
class RawTerminal {
public:
    RawTerminal();
    ~RawTerminal();
    RawTerminal(const RawTerminal&) = delete;
    RawTerminal& operator=(const RawTerminal&) = delete;

private:
    std::optional<termios> saved_; // set while raw mode is in effect
};

// The size of the terminal `from` (the user's), onto the pty `to` (the container's), if `from`
// is a terminal; the kernel then sends the pty's foreground process group SIGWINCH.
void copy_window_size(int from, int to);

// Copy whatever is readable between `from` and `to` once; false on EOF or error.
bool pump(int from, int to);

} // namespace rung
