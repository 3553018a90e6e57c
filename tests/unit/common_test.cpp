// Unit tests for common/: errors, fds, files, the sync channel, flag strings.
#include "rung/error.hpp"
#include "rung/fd.hpp"
#include "rung/file.hpp"
#include "rung/json.hpp"
#include "rung/sync.hpp"
#include "rung/sys.hpp"
#include "temp_dir.hpp"

#include "rung/log.hpp"

#include <csignal>
#include <ctime>
#include <doctest/doctest.h>
#include <fcntl.h>
#include <poll.h>
#include <regex>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace rung;

namespace {

bool fd_is_open(int fd) {
    return ::fcntl(fd, F_GETFD) != -1;
}

} // namespace

TEST_CASE("Error carries context, errno and an exit status") {
    Error e("mount \"proc\" on \"/proc\"", EPERM);
    CHECK(std::string(e.what()) == "mount \"proc\" on \"/proc\": Operation not permitted");
    e.add_context("init").add_context("create");
    CHECK(std::string(e.what()) ==
          "create: init: mount \"proc\" on \"/proc\": Operation not permitted");
    CHECK(e.message() == "create: init: mount \"proc\" on \"/proc\"");
    CHECK(e.err() == EPERM);
    CHECK(e.exit_status() == 1);
    CHECK(Error("x").set_exit_status(127).exit_status() == 127);
    CHECK(std::string(Error("no errno").what()) == "no errno");
}

TEST_CASE("check() throws on -1 with errno and passes other values through") {
    CHECK(check(5, "op") == 5);
    errno = ENOENT;
    CHECK_THROWS_WITH_AS(check(-1, "open \"x\""), "open \"x\": No such file or directory", Error);
}

TEST_CASE("with_context prefixes only Errors that pass through") {
    CHECK(with_context("outer", [] { return 3; }) == 3);
    CHECK_THROWS_WITH_AS(with_context("outer", []() -> int { throw Error("inner"); }),
                         "outer: inner", Error);
}

TEST_CASE("quote escapes quotes, backslashes and control characters") {
    CHECK(quote("plain") == "\"plain\"");
    CHECK(quote("a\"b\\c") == "\"a\\\"b\\\\c\"");
    CHECK(quote("line\nbreak") == "\"line\\x0abreak\"");
}

TEST_CASE("unique_fd closes on destruction, moves, and releases") {
    int raw;
    {
        unique_fd fd(::open("/dev/null", O_RDONLY));
        raw = fd.get();
        REQUIRE(fd_is_open(raw));
        unique_fd moved = std::move(fd);
        CHECK_FALSE(fd);
        CHECK(moved.get() == raw);
    }
    CHECK_FALSE(fd_is_open(raw));

    unique_fd fd(::open("/dev/null", O_RDONLY));
    int released = fd.release();
    CHECK_FALSE(fd);
    CHECK(fd_is_open(released));
    ::close(released);
}

TEST_CASE("ScopeGuard runs unless dismissed") {
    int runs = 0;
    {
        ScopeGuard g([&] { ++runs; });
    }
    CHECK(runs == 1);
    {
        ScopeGuard g([&] { ++runs; });
        g.dismiss();
    }
    CHECK(runs == 1);
}

TEST_CASE("files: atomic write, read back, mkdir_all, errors name the path") {
    TempDir dir;
    std::string f = dir.path + "/state.json";
    write_file_atomic(f, "{\"a\":1}");
    CHECK(read_file(f) == "{\"a\":1}");
    write_file_atomic(f, "second");
    CHECK(read_file(f) == "second");
    CHECK_FALSE(path_exists(f + ".tmp." + std::to_string(::getpid())));

    mkdir_all(dir.path + "/a/b/c");
    CHECK(is_directory(dir.path + "/a/b/c"));
    mkdir_all(dir.path + "/a/b/c"); // existing is fine
    CHECK_THROWS_WITH_AS(mkdir_all(f + "/x"), doctest::Contains("Not a directory"), Error);
    CHECK_THROWS_WITH_AS(read_file(dir.path + "/missing"),
                         doctest::Contains("/missing\": No such file or directory"), Error);
}

TEST_CASE("read_json_file names the file and the parse position") {
    TempDir dir;
    std::string f = dir.path + "/config.json";
    write_file(f, "{\"ok\": [1, 2,]}");
    CHECK_THROWS_WITH_AS(read_json_file(f, "config.json"),
                         doctest::Contains("config.json: parse error at line 1"), Error);
    write_file(f, "{\"ok\": true}");
    CHECK(read_json_file(f, "config.json")["ok"] == true);
    CHECK_THROWS_WITH_AS(read_json_file(dir.path + "/nope.json", "nope.json"),
                         doctest::Contains("nope.json: cannot read"), Error);
}

TEST_CASE("sync frames round-trip, long messages are cut, EOF is nullopt") {
    auto [a, b] = sys::socketpair();
    sync::send(a.get(), sync::Type::error, EPERM, "mount \"proc\"");
    auto f = sync::receive(b.get());
    REQUIRE(f);
    CHECK(f->type == sync::Type::error);
    CHECK(f->err == EPERM);
    CHECK(f->message == "mount \"proc\"");

    sync::send(a.get(), sync::Type::ready, 0, std::string(5000, 'x'));
    f = sync::receive(b.get());
    REQUIRE(f);
    CHECK(f->message.size() == sync::kMaxMessage);

    a.reset();
    CHECK_FALSE(sync::receive(b.get()));
}

TEST_CASE("sync::expect returns the frame due, and turns anything else into an Error") {
    auto [a, b] = sys::socketpair();
    sync::send(a.get(), sync::Frame{sync::Type::go, 0, 4242, {}});
    CHECK(sync::expect(b.get(), sync::Type::go, "test").pid == 4242);

    sync::send(a.get(), sync::Type::error, ENOENT, "exec \"x\"");
    CHECK_THROWS_WITH_AS(sync::expect(b.get(), sync::Type::ready, "test"),
                         "exec \"x\": No such file or directory", Error);

    sync::send(a.get(), sync::Type::mounted);
    CHECK_THROWS_WITH_AS(sync::expect(b.get(), sync::Type::ready, "test"),
                         "sent \"mounted\" where \"ready\" was due", Error);

    a.reset();
    CHECK_THROWS_WITH_AS(sync::expect(b.get(), sync::Type::committed, "test"),
                         "exited before \"committed\"", Error);
}

TEST_CASE("sync frames travel over a FIFO too, and EOF there is an execve that succeeded") {
    int fds[2];
    REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
    unique_fd r(fds[0]), w(fds[1]);
    sync::send(w.get(), sync::Type::error, EACCES, "exec \"/bin/x\"");
    CHECK_THROWS_WITH_AS(sync::expect(r.get(), sync::Type::eof, "test"),
                         "exec \"/bin/x\": Permission denied", Error);
    w.reset();
    CHECK_NOTHROW(sync::expect(r.get(), sync::Type::eof, "test"));
}

TEST_CASE("flag strings name every bit and show unknown ones in hex") {
    CHECK(sys::clone_flags_string(CLONE_NEWPID | CLONE_NEWNS) == "CLONE_NEWNS|CLONE_NEWPID");
    CHECK(sys::clone_flags_string(0) == "0");
    CHECK(sys::mount_flags_string(MS_REC | MS_PRIVATE) == "MS_REC|MS_PRIVATE");
    CHECK(sys::mount_flags_string(MS_BIND | (1UL << 30)) == "MS_BIND|0x40000000");
}

TEST_CASE("exit_code_of follows the shell: status, or 128+signal") {
    CHECK(sys::exit_code_of(3 << 8) == 3);
    CHECK(sys::exit_code_of(9) == 137);
}

TEST_CASE("mkfifo makes a named pipe and refuses to replace anything") {
    TempDir dir;
    std::string f = dir.path + "/exec.fifo";
    sys::mkfifo(f, 0600);
    struct stat st;
    REQUIRE(::lstat(f.c_str(), &st) == 0);
    CHECK(S_ISFIFO(st.st_mode));
    CHECK_THROWS_WITH_AS(sys::mkfifo(f, 0600), doctest::Contains("exec.fifo\": File exists"),
                         Error);
}

TEST_CASE("a pidfd signals its process and turns readable when it exits") {
    pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        ::pause();
        ::_exit(0);
    }
    unique_fd pidfd = sys::pidfd_open(child);
    pollfd p{pidfd.get(), POLLIN, 0};
    CHECK(::poll(&p, 1, 0) == 0); // alive: not readable yet
    sys::pidfd_send_signal(pidfd.get(), SIGKILL, child);
    CHECK(::poll(&p, 1, 5000) == 1);
    int status = sys::wait_for(child);
    CHECK(WIFSIGNALED(status));
    CHECK(WTERMSIG(status) == SIGKILL);
    // Reaped: the pid may be reused, but the pidfd still names the old process.
    CHECK_THROWS_WITH_AS(sys::pidfd_send_signal(pidfd.get(), SIGTERM, child),
                         doctest::Contains("with SIGTERM: No such process"), Error);
    CHECK_THROWS_AS(sys::pidfd_open(-1), Error);
}

TEST_CASE("signal_name names classic and real-time signals") {
    CHECK(sys::signal_name(SIGKILL) == "SIGKILL");
    CHECK(sys::signal_name(SIGTERM) == "SIGTERM");
    CHECK(sys::signal_name(SIGRTMIN) == "SIGRTMIN");
    CHECK(sys::signal_name(SIGRTMIN + 2) == "SIGRTMIN+2");
    CHECK(sys::signal_name(99) == "signal 99");
}

TEST_CASE("signals by name, with or without SIG, any case, and by number") {
    CHECK(sys::parse_signal("KILL") == SIGKILL);
    CHECK(sys::parse_signal("SIGKILL") == SIGKILL);
    CHECK(sys::parse_signal("kill") == SIGKILL);
    CHECK(sys::parse_signal("9") == SIGKILL);
    CHECK(sys::parse_signal("TERM") == SIGTERM);
    CHECK(sys::parse_signal("sigterm") == SIGTERM);
    CHECK(sys::parse_signal("15") == SIGTERM);
    CHECK(sys::parse_signal("HUP") == SIGHUP);
    CHECK(sys::parse_signal("USR1") == SIGUSR1);
    CHECK(sys::parse_signal("WINCH") == SIGWINCH);
    CHECK(sys::parse_signal("RTMIN") == SIGRTMIN);
    CHECK(sys::parse_signal("RTMIN+2") == SIGRTMIN + 2);
    CHECK(sys::parse_signal("SIGRTMAX-1") == SIGRTMAX - 1);
    CHECK(sys::parse_signal("RTMAX") == SIGRTMAX);
    CHECK(sys::parse_signal(std::to_string(SIGRTMAX)) == SIGRTMAX);
    for (const char* bad : {"", "0", "-9", "FOO", "SIG", "9x", "KILL ", "65", "RTMIN+99",
                            "RTMAX-40", "RTMIN+", "+9"}) {
        CAPTURE(bad);
        CHECK_THROWS_WITH_AS(sys::parse_signal(bad), doctest::Contains("unknown signal"), Error);
    }
    CHECK_THROWS_WITH_AS(sys::parse_signal("FOO"), "unknown signal \"FOO\"", Error);
}

// Found with tests/fuzz/signal.cpp: SIGRTMIN + 2147483647 overflowed an int, undefined behaviour
// that UBSan stops at (make test-asan), before the range check could refuse it. And a byte
// above 0x7f went to toupper() as a negative char, which is undefined too.
TEST_CASE("a real-time offset too big for an int, and bytes above 0x7f, are unknown signals") {
    for (const char* bad : {"RTMIN+2147483647", "SIGRTMIN+2147483600", "RTMAX-2147483647",
                            "RTMIN+99999999999", "\xff", "K\xe9LL"}) {
        CAPTURE(bad);
        CHECK_THROWS_WITH_AS(sys::parse_signal(bad), doctest::Contains("unknown signal"), Error);
    }
}

TEST_CASE("now_rfc3339 is UTC with nanoseconds") {
    // The date and time libc's gmtime_r gives the same second (or the next, at a boundary).
    auto utc = [] {
        std::time_t now = std::time(nullptr);
        std::tm tm{};
        gmtime_r(&now, &tm);
        char buf[32];
        std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
        return std::string(buf);
    };
    std::string before = utc();
    std::string t = log::now_rfc3339();
    std::string after = utc();
    CHECK(std::regex_match(t, std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z)")));
    std::string second = t.substr(0, 19);
    CHECK((second == before || second == after));
}
