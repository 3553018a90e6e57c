// rung/sync.hpp: the framed channel between the runtime and every child it starts.
//
// Between clone() and execve() a child (init, an exec'd process, a hook) cannot print to the user
// or throw into the parent: it is another process. Instead it sends frames over a CLOEXEC
// SOCK_SEQPACKET socket (or, after `start`, the exec FIFO):
//
//     { uint32 type, int32 errno, int32 pid, uint32 length } message[length]
//
// On failure a child sends one `error` frame and _exit()s. A successful execve() closes its end
// (CLOEXEC), so the parent reading EOF knows the program is running. The same scheme is used by
// runc (init_linux.go), crun (the sync socket in linux.c) and nsjail.
//
// Create, as the two sides see it (docs/architecture.md):
//
//     runtime                                   init
//     clone3, parent-side steps                 waits for go
//     go (init's host pid)                 -->  rootfs, mounts, /dev
//                                          <--  mounted           (phase 3 on)
//     createRuntime hooks; resume          -->  createContainer hooks, pivot_root...
//                                          <--  ready
//     state.json, pid file; committed      -->  waits for start; EOF before committed: _exit
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>

namespace rung::sync {

enum class Type : uint32_t {
    eof = 0,       // never sent: what expect() waits for when the child's execve closes its end
    error = 1,     // child -> runtime: it failed; errno and message say where
    ready = 2,     // init -> runtime: created, waits for start (phase 2 on)
    mounted = 3,   // init -> runtime: mounts done, the runtime runs its create hooks (phase 3 on)
    resume = 4,    // runtime -> init: the runtime's create hooks are done, go on (phase 3 on)
    go = 5,        // runtime -> init: the parent-side steps are done; `pid` is init's host pid
    committed = 6, // runtime -> init: state.json and the pid file are written, wait for start
};

// The name of a frame type, for messages and the debug trace: "ready", "committed".
const char* type_name(Type type);

struct Frame {
    Type type = Type::eof;
    int err = 0;
    pid_t pid = 0; // go: init's pid as the host sees it
    std::string message;
};

// Messages longer than this are cut: a frame must fit one seqpacket datagram, and one atomic
// write to a FIFO (PIPE_BUF).
inline constexpr size_t kMaxMessage = 1024;

// Send one frame; never throws (a child calls it on its way out). On a FIFO whose reader is gone
// the write fails with EPIPE: the caller ignores SIGPIPE first.
void send(int fd, const Frame& frame) noexcept;
void send(int fd, Type type, int err = 0, std::string_view message = {}) noexcept;
// Send an error frame for the exception being handled, naming its errno if it is an Error.
void send_error(int fd, const std::exception& e) noexcept;
// Receive one frame, or nullopt on EOF. Throws Error on a read failure or a malformed frame.
std::optional<Frame> receive(int fd);

// Wait for the next frame, which must be of type `want` (Type::eof: the end closes, an execve
// succeeded), and return it. `who` labels the debug trace. An error frame is thrown as the
// peer's Error (its message and errno); EOF or another frame throws an Error saying so.
Frame expect(int fd, Type want, std::string_view who);

} // namespace rung::sync
