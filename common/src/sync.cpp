#include "rung/sync.hpp"

#include "rung/error.hpp"
#include "rung/file.hpp"
#include "rung/log.hpp"

#include <cerrno>
#include <climits>
#include <cstring>
#include <sys/socket.h>
#include <unistd.h>

namespace rung::sync {
namespace {

struct Header {
    uint32_t type;
    int32_t err;
    int32_t pid;
    uint32_t length;
};

static_assert(sizeof(Header) + kMaxMessage <= PIPE_BUF, "a frame is one atomic FIFO write");

} // namespace

const char* type_name(Type type) {
    switch (type) {
    case Type::eof:
        return "EOF";
    case Type::error:
        return "error";
    case Type::ready:
        return "ready";
    case Type::mounted:
        return "mounted";
    case Type::resume:
        return "resume";
    case Type::go:
        return "go";
    case Type::committed:
        return "committed";
    }
    return "unknown";
}

void send(int fd, const Frame& frame) noexcept {
    std::string_view message = frame.message;
    if (message.size() > kMaxMessage) message = message.substr(0, kMaxMessage);
    char buf[sizeof(Header) + kMaxMessage];
    Header h{static_cast<uint32_t>(frame.type), frame.err, frame.pid,
             static_cast<uint32_t>(message.size())};
    std::memcpy(buf, &h, sizeof h);
    std::memcpy(buf + sizeof h, message.data(), message.size());
    size_t len = sizeof h + message.size();
    // One datagram: SOCK_SEQPACKET delivers it whole or not at all. On a FIFO (after start),
    // one write of at most PIPE_BUF bytes is atomic.
    ssize_t n;
    while ((n = ::send(fd, buf, len, MSG_NOSIGNAL)) == -1 && errno == EINTR) {
    }
    if (n == -1 && errno == ENOTSOCK) {
        while (::write(fd, buf, len) == -1 && errno == EINTR) {
        }
    }
}

void send(int fd, Type type, int err, std::string_view message) noexcept {
    try {
        send(fd, Frame{type, err, 0, std::string(message)});
    } catch (...) {
        // Out of memory for the copy: the exit status still tells the parent.
    }
}

void send_error(int fd, const std::exception& e) noexcept {
    if (auto* error = dynamic_cast<const Error*>(&e))
        send(fd, Type::error, error->err(), error->message());
    else
        send(fd, Type::error, 0, e.what());
}

std::optional<Frame> receive(int fd) {
    char buf[sizeof(Header) + kMaxMessage];
    ssize_t n;
    while ((n = ::read(fd, buf, sizeof buf)) == -1 && errno == EINTR) {
    }
    if (n == -1) throw_errno("read sync frame");
    if (n == 0) return std::nullopt;
    Header h;
    if (static_cast<size_t>(n) < sizeof h) throw Error("read sync frame: short frame");
    std::memcpy(&h, buf, sizeof h);
    if (h.length > kMaxMessage) throw Error("read sync frame: message too long");
    size_t want = sizeof h + h.length;
    // A FIFO is a stream: the rest of a frame may come in a later read.
    if (static_cast<size_t>(n) < want) n += read_full(fd, buf + n, want - n);
    if (static_cast<size_t>(n) != want) throw Error("read sync frame: frame length mismatch");
    return Frame{static_cast<Type>(h.type), h.err, h.pid, std::string(buf + sizeof h, h.length)};
}

Frame expect(int fd, Type want, std::string_view who) {
    std::optional<Frame> frame = receive(fd);
    Type got = frame ? frame->type : Type::eof;
    log::trace(who, "", "recv(sync) = ", type_name(got));
    if (got == want) return frame.value_or(Frame{});
    if (got == Type::error) throw Error(frame->message, frame->err);
    if (got == Type::eof) throw Error(std::string("exited before \"") + type_name(want) + "\"");
    throw Error(std::string("sent \"") + type_name(got) + "\" where \"" + type_name(want) +
                "\" was due");
}

} // namespace rung::sync
