#include "rung/fd.hpp"

#include "rung/error.hpp"

#include <unistd.h>

namespace rung {

void unique_fd::reset(int fd) noexcept {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
}

void unique_fd::close() {
    int fd = release();
    if (fd >= 0 && ::close(fd) == -1 && errno != EINTR)
        throw_errno("close fd " + std::to_string(fd));
}

} // namespace rung
