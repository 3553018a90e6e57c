// What runs inside the new namespaces, between clone(2) and execve(2).
#pragma once

#include "container.hpp"

namespace rung {

// Never returns: execs the command, or reports the failure on `sync_fd` and _exit()s.
[[noreturn]] void container_init(const RunOptions& opts, int sync_fd);

} // namespace rung
