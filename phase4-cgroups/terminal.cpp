#include "terminal.hpp"

#include "rung/error.hpp"
#include "rung/file.hpp"
#include "rung/log.hpp"
#include "rung/sys.hpp"
#include "spec.hpp"

#include <cstring>
#include <fcntl.h>
#include <nlohmann/json.hpp>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

namespace rung {
namespace {

// One unix(7) message that carries data and room for one fd (SCM_RIGHTS).
struct FdMessage {
    iovec iov;
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
    msghdr msg{};
    FdMessage(void* data, size_t len) : iov{data, len} {
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control;
        msg.msg_controllen = sizeof control;
    }
    FdMessage(const FdMessage&) = delete;
    FdMessage& operator=(const FdMessage&) = delete;
};

void send_fd(int sock, int fd, const std::string& payload) {
    FdMessage m(const_cast<char*>(payload.data()), payload.size());
    cmsghdr* c = CMSG_FIRSTHDR(&m.msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(c), &fd, sizeof fd);
    check(::sendmsg(sock, &m.msg, MSG_NOSIGNAL), "send the pty master over the console socket");
}

// config.md, process.terminal: the pty is the process's own terminal, so it belongs to
// process.user, as a login's tty belongs to whoever logged in. Its group is what devpts gave it
// when a gid= option asks for one (gid=5, "tty", as the spec's example mounts it, which lets
// write(1) reach it); otherwise the user's group.
void give_terminal_to(int slave, const char* name, const User& user) {
    struct stat st;
    check(::fstat(slave, &st), "stat " + quote(name));
    gid_t gid = st.st_gid != ::getegid() ? st.st_gid : user.gid;
    sys::fchown(slave, user.uid, gid, "config.md: process.terminal, owned by process.user");
}

} // namespace

std::string setup_terminal(int console_socket, const std::string& container_id,
                           const std::optional<ConsoleSize>& size, const User& user) {
    // /dev/ptmx is the container's (a link to its own devpts instance), so the pty belongs to
    // the container and shows up in its /dev/pts.
    log::trace("init", "config.md: process.terminal", "open(\"/dev/ptmx\", O_RDWR|O_NOCTTY)");
    unique_fd master = open_file("/dev/ptmx", O_RDWR | O_NOCTTY);
    check(::unlockpt(master.get()), "unlockpt");
    char name[64];
    if (int err = ::ptsname_r(master.get(), name, sizeof name)) throw Error("ptsname", err);
    unique_fd slave(::open(name, O_RDWR | O_NOCTTY)); // not CLOEXEC: it becomes stdio
    if (!slave) throw_errno("open " + quote(name));
    give_terminal_to(slave.get(), name, user);
    // config.md, process.consoleSize; without one, the size of the terminal we were started
    // from, if stdin is one (run and exec in the foreground). Set now, before the program runs
    // and asks: the relay only follows later resizes.
    winsize ws{};
    if (size) {
        ws.ws_row = static_cast<unsigned short>(size->height);
        ws.ws_col = static_cast<unsigned short>(size->width);
    } else if (::ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == -1) {
        ws = {};
    }
    if (ws.ws_row != 0 || ws.ws_col != 0) {
        log::trace("init", "config.md: process.consoleSize", "ioctl(", quote(name),
                   ", TIOCSWINSZ, ", ws.ws_row, "x", ws.ws_col, ")");
        check(::ioctl(slave.get(), TIOCSWINSZ, &ws), "set the console size");
    }
    // A new session, with the pty as its controlling terminal: job control and ^C work.
    log::trace("init", "config.md: process.terminal", "setsid(); ioctl(", quote(name),
               ", TIOCSCTTY); dup2 to 0, 1, 2");
    check(::setsid(), "setsid");
    check(::ioctl(slave.get(), TIOCSCTTY, 0), "make " + quote(name) + " the controlling terminal");
    for (int fd = 0; fd < 3; ++fd)
        check(::dup2(slave.get(), fd), "dup2 the pty to stdio");
    nlohmann::json request = {{"type", "terminal"}, {"container", container_id}};
    log::trace("init", "runtime-tools CLI: console socket", "sendmsg(SCM_RIGHTS, pty master)");
    send_fd(console_socket, master.get(), request.dump());
    return name;
}

namespace {

unique_fd connect_console_socket(const std::string& path) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.size() >= sizeof addr.sun_path)
        throw Error("console socket " + quote(path) + ": path too long");
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    // connect(2) to a file that is no socket says only "Connection refused".
    struct stat st;
    if (::stat(path.c_str(), &st) == 0 && !S_ISSOCK(st.st_mode))
        throw Error("console socket " + quote(path) + ": not a unix socket");
    unique_fd sock(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!sock) throw_errno("socket");
    if (::connect(sock.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == -1)
        throw_errno("console socket " + quote(path));
    return sock;
}

} // namespace

Console open_console(bool terminal, const std::string& console_socket) {
    Console c;
    if (!terminal) return c;
    if (!console_socket.empty()) {
        log::trace("rung", "runtime-tools CLI: --console-socket", "connect(", quote(console_socket),
                   ")");
        c.init_end = connect_console_socket(console_socket);
    } else {
        auto [ours, theirs] = sys::socketpair();
        c.our_end = std::move(ours);
        c.init_end = std::move(theirs);
    }
    return c;
}

unique_fd receive_pty_master(int sock) {
    char buf[512];
    FdMessage m(buf, sizeof buf);
    ssize_t n;
    while ((n = ::recvmsg(sock, &m.msg, MSG_CMSG_CLOEXEC)) == -1 && errno == EINTR) {
    }
    if (n == -1) throw_errno("receive the pty master");
    cmsghdr* c = CMSG_FIRSTHDR(&m.msg);
    if (!c || c->cmsg_type != SCM_RIGHTS) throw Error("receive the pty master: no fd in message");
    int fd;
    std::memcpy(&fd, CMSG_DATA(c), sizeof fd);
    return unique_fd(fd);
}

RawTerminal::RawTerminal() {
    termios t;
    if (!::isatty(STDIN_FILENO) || ::tcgetattr(STDIN_FILENO, &t) == -1) return;
    termios raw = t;
    ::cfmakeraw(&raw);
    if (::tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0) saved_ = t;
}

RawTerminal::~RawTerminal() {
    if (saved_) ::tcsetattr(STDIN_FILENO, TCSANOW, &*saved_);
}

void copy_window_size(int from, int to) {
    winsize ws{};
    if (::ioctl(from, TIOCGWINSZ, &ws) == -1) return; // not a terminal: keep consoleSize
    log::trace("rung", "config.md: process.consoleSize, from the user's terminal",
               "ioctl(pty, TIOCSWINSZ, ", ws.ws_row, "x", ws.ws_col, ")");
    ::ioctl(to, TIOCSWINSZ, &ws);
}

bool pump(int from, int to) {
    char buf[4096];
    ssize_t n = ::read(from, buf, sizeof buf);
    if (n <= 0) return n == -1 && errno == EINTR;
    try {
        write_full(to, std::string_view(buf, static_cast<size_t>(n)));
    } catch (const Error&) {
        return false;
    }
    return true;
}

} // namespace rung
