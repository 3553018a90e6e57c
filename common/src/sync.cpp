#include "rung/sync.hpp"

#include "rung/error.hpp"

#include <cerrno>
#include <cstring>
#include <sys/socket.h>
#include <unistd.h>

namespace rung::sync {
namespace {

struct Header {
    uint32_t type;
    int32_t err;
    uint32_t length;
};

} // namespace

void send(int fd, Type type, int err, std::string_view message) noexcept {
    if (message.size() > kMaxMessage) message = message.substr(0, kMaxMessage);
    char buf[sizeof(Header) + kMaxMessage];
    Header h{static_cast<uint32_t>(type), err, static_cast<uint32_t>(message.size())};
    std::memcpy(buf, &h, sizeof h);
    std::memcpy(buf + sizeof h, message.data(), message.size());
    // One datagram: SOCK_SEQPACKET delivers it whole or not at all.
    while (::send(fd, buf, sizeof h + message.size(), MSG_NOSIGNAL) == -1 && errno == EINTR) {
    }
}

std::optional<Frame> receive(int fd) {
    char buf[sizeof(Header) + kMaxMessage];
    ssize_t n;
    while ((n = ::recv(fd, buf, sizeof buf, 0)) == -1 && errno == EINTR) {
    }
    if (n == -1) throw_errno("read from init");
    if (n == 0) return std::nullopt;
    Header h;
    if (static_cast<size_t>(n) < sizeof h) throw Error("read from init: short frame");
    std::memcpy(&h, buf, sizeof h);
    if (h.length != static_cast<size_t>(n) - sizeof h)
        throw Error("read from init: frame length mismatch");
    return Frame{static_cast<Type>(h.type), h.err, std::string(buf + sizeof h, h.length)};
}

} // namespace rung::sync
