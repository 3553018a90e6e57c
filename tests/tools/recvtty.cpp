// recvtty SOCKET [INPUT]: the other end of `rung create --console-socket SOCKET`.
//
// Listens on the AF_UNIX socket, accepts one connection, receives the pty master that the
// runtime sends with SCM_RIGHTS, prints the request JSON that came with it on stderr, writes
// INPUT (if given) to the terminal, and copies everything the container writes to stdout until
// the terminal closes. The OCI suite uses it to test the console socket; a learner can use it to
// drive `rung create` by hand, as conmon does for podman.
#include "receive_fd.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace {

int fail(const char* what) {
    std::fprintf(stderr, "recvtty: %s: %s\n", what, std::strerror(errno));
    return 1;
}

} // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: recvtty SOCKET [INPUT]\n");
        return 2;
    }
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", argv[1]);
    int lsock = ::socket(AF_UNIX, SOCK_STREAM, 0);
    ::unlink(argv[1]);
    if (lsock < 0 || ::bind(lsock, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0 ||
        ::listen(lsock, 1) < 0)
        return fail("listen");
    int conn = ::accept(lsock, nullptr, nullptr);
    if (conn < 0) return fail("accept");

    char payload[512] = {};
    ssize_t len;
    int master = receive_fd(conn, payload, sizeof payload - 1, len);
    if (master < 0) return fail("receive the pty master");
    std::fprintf(stderr, "recvtty: request %s\n", payload);
    ::close(conn);
    ::close(lsock);

    if (argc > 2) {
        std::string input = argv[2];
        if (::write(master, input.data(), input.size()) < 0) return fail("write to the terminal");
    }
    char buf[4096];
    for (;;) {
        ssize_t n = ::read(master, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break; // EIO once the last slave fd closes
        if (::write(STDOUT_FILENO, buf, static_cast<size_t>(n)) < 0) return fail("write");
    }
    return 0;
}
