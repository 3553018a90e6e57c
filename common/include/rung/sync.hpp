// rung/sync.hpp: the framed channel between init and the runtime.
//
// Between clone() and execve() the init process cannot print to the user or throw into the
// parent: it is another process. Instead it sends frames over a CLOEXEC SOCK_SEQPACKET socket:
//
//     { uint32 type, int32 errno, uint32 length } message[length]
//
// On failure init sends one `error` frame and _exit(1)s. A successful execve() closes the socket
// (CLOEXEC), so the parent reading EOF knows the user's program is running. The same scheme is
// used by runc (init_linux.go), crun (the sync socket in linux.c) and nsjail.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace rung::sync {

enum class Type : uint32_t {
    error = 1,   // init failed; errno and message say where
    ready = 2,   // init finished creating and waits for start (phase 2 on)
    mounted = 3, // init's mounts are done: the runtime runs its create hooks (phase 3 on)
    resume = 4,  // runtime -> init: hooks done, go on; the message is init's host pid
};

struct Frame {
    Type type;
    int err = 0;
    std::string message;
};

// Messages longer than this are cut: a frame must fit one seqpacket datagram.
inline constexpr size_t kMaxMessage = 1024;

// Send one frame; never throws (init calls it on its way out).
void send(int fd, Type type, int err = 0, std::string_view message = {}) noexcept;
// Receive one frame, or nullopt on EOF. Throws Error on a read failure or a malformed frame.
std::optional<Frame> receive(int fd);

} // namespace rung::sync
