// What runs inside the new namespaces, between clone(2) and execve(2).
#pragma once

#include "spec.hpp"

#include <string>

namespace rung {

// Never returns. Waits for the runtime's "go", sets the container up, reports "ready" on
// `sync_fd`, waits for "committed", then on the exec FIFO at `fifo_path` for `rung start`, then
// execs process.args. A failure goes out as one error frame, on `sync_fd` before start and on
// the FIFO after it; then init _exit()s.
[[noreturn]] void container_init(const Spec& spec, const std::string& rootfs,
                                 const std::string& fifo_path, int sync_fd);

} // namespace rung
