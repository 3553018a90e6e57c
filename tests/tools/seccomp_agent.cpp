// seccomp_agent SOCKET STATE_FILE ERRNO: the other end of linux.seccomp.listenerPath.
//
// Listens on the AF_UNIX socket, accepts one connection, receives the seccomp notify fd that the
// runtime sends with SCM_RIGHTS and the container process state JSON that comes with it, writes
// that JSON to STATE_FILE, then answers every notification of the filter: with errno ERRNO, or,
// for ERRNO 0, with success (return value 0) without running the call. Each notification
// appends "notified <syscall> pid <pid>" to STATE_FILE. Exits when the last process of the
// filter is gone. The OCI suite uses it to test SCMP_ACT_NOTIFY; a real agent (runc's
// contrib/cmd/seccompagent) would do the call on the process's behalf.
#include "receive_fd.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <seccomp.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace {

int fail(const char* what) {
    std::fprintf(stderr, "seccomp_agent: %s: %s\n", what, std::strerror(errno));
    return 1;
}

} // namespace

int main(int argc, char** argv) {
    if (argc != 4) {
        std::fprintf(stderr, "usage: seccomp_agent SOCKET STATE_FILE ERRNO\n");
        return 2;
    }
    int answer = std::atoi(argv[3]);
    std::FILE* out = std::fopen(argv[2], "w");
    if (!out) return fail(argv[2]);
    std::setvbuf(out, nullptr, _IOLBF, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", argv[1]);
    int lsock = ::socket(AF_UNIX, SOCK_STREAM, 0);
    if (lsock < 0 || ::bind(lsock, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0 ||
        ::listen(lsock, 1) < 0)
        return fail("listen");
    int conn = ::accept(lsock, nullptr, nullptr);
    if (conn < 0) return fail("accept");
    // The one message of the connection: the state as payload, the notify fd attached.
    static char state[65536];
    ssize_t len;
    int notify = receive_fd(conn, state, sizeof state, len);
    if (notify < 0) return fail("receive the notify fd");
    std::fprintf(out, "%.*s\n", static_cast<int>(len), state);
    ::close(conn); // config-linux.md: one state per connection
    ::close(lsock);

    seccomp_notif* req;
    seccomp_notif_resp* resp;
    if (seccomp_notify_alloc(&req, &resp) < 0) return fail("seccomp_notify_alloc");
    // seccomp_notify_receive fails (ENOENT) once no process uses the filter any more.
    while (seccomp_notify_receive(notify, req) == 0) {
        char* name = seccomp_syscall_resolve_num_arch(req->data.arch, req->data.nr);
        std::fprintf(out, "notified %s pid %u\n", name ? name : "?", req->pid);
        std::free(name);
        resp->id = req->id;
        resp->val = 0;
        resp->error = -answer;
        resp->flags = 0;
        if (seccomp_notify_respond(notify, resp) < 0 && errno != ENOENT)
            std::fprintf(stderr, "seccomp_agent: respond: %s\n", std::strerror(errno));
    }
    seccomp_notify_free(req, resp);
    return 0;
}
