// What runs inside the new namespaces, between clone(2) and execve(2).
#pragma once

#include "spec.hpp"

#include <string>

namespace rung {

// Never returns. Sets the container up, reports `ready` on `sync_fd`, waits on the exec FIFO at
// `fifo_path` for `rung start`, then execs process.args. A failure before `ready` goes to
// `sync_fd` as one error frame, after start as text on the FIFO; then init _exit()s.
[[noreturn]] void container_init(const Spec& spec, const std::string& rootfs,
                                 const std::string& fifo_path, int sync_fd);

} // namespace rung
