// The real sys wrappers, on what needs no root: each narrates itself with its real arguments and
// the rule it is given, labelled with the process's actor, and fails naming the operation and
// its object.
#include "rung/error.hpp"
#include "rung/file.hpp"
#include "rung/log.hpp"
#include "rung/sys.hpp"
#include "temp_dir.hpp"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <filesystem>
#include <linux/openat2.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace rung;

namespace {

// Send the debug log to a file for the scope, then back to stderr at the default level.
struct CapturedLog {
    std::string path;
    explicit CapturedLog(const std::string& dir) : path(dir + "/debug.log") {
        log::configure({log::Level::debug, log::Format::text, path});
    }
    ~CapturedLog() {
        log::configure({});
        log::set_actor("rung");
    }
    std::string text() const { return read_file(path); }
};

} // namespace

TEST_CASE("a sys wrapper narrates its real arguments and the rule, as the actor") {
    TempDir dir;
    std::string d = dir.path + "/d";
    {
        CapturedLog captured(dir.path);
        sys::mkdir(d, 0750, "config.md: mounts");
        log::set_actor("init");
        unique_fd fd = sys::open(d + "/f", O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
        sys::unlink(d + "/f");
        sys::rmdir(d);
        CHECK(captured.text() ==
              "[rung] mkdir(\"" + d + "\", 0750)   # config.md: mounts\n" + "[init] open(\"" + d +
                  "/f\", O_WRONLY|O_CREAT|O_CLOEXEC, 0600)\n" + "[init] unlink(\"" + d + "/f\")\n" +
                  "[init] rmdir(\"" + d + "\")\n");
    }
    CHECK(log::actor() == "rung");
}

TEST_CASE("a failing sys wrapper names the operation, its object and the errno") {
    TempDir dir;
    CHECK_THROWS_WITH_AS(sys::mkdir(dir.path, 0755),
                         ("mkdir \"" + dir.path + "\": File exists").c_str(), Error);
    CHECK_THROWS_WITH_AS(sys::open(dir.path + "/missing", O_RDONLY),
                         ("open \"" + dir.path + "/missing\": No such file or directory").c_str(),
                         Error);
    CHECK_THROWS_WITH_AS(sys::fchdir(9999), "fchdir fd 9999: Bad file descriptor", Error);
    unique_fd f = sys::open(dir.path + "/f", O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
    CHECK_THROWS_WITH_AS(
        sys::fchdir(f.get()),
        ("fchdir fd " + std::to_string(f.get()) + " (\"" + dir.path + "/f\"): Not a directory")
            .c_str(),
        Error);
}

TEST_CASE("flock with LOCK_NB reports a lock another holds; waitpid with WNOHANG a running child") {
    TempDir dir;
    std::string path = dir.path + "/lock";
    unique_fd a = sys::open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0600);
    unique_fd b = sys::open(path, O_RDWR | O_CLOEXEC);
    CHECK(sys::flock(a.get(), LOCK_EX | LOCK_NB));
    CHECK_FALSE(sys::flock(b.get(), LOCK_EX | LOCK_NB));
    CHECK(sys::flock(a.get(), LOCK_UN));
    CHECK(sys::flock(b.get(), LOCK_EX | LOCK_NB));

    auto [r, w] = sys::pipe2(O_CLOEXEC);
    pid_t pid = sys::fork();
    if (pid == 0) {
        char c;
        [[maybe_unused]] ssize_t n = ::read(r.get(), &c, 1); // until the parent says go
        ::_exit(7);
    }
    int status = 0;
    CHECK(sys::waitpid(pid, status, WNOHANG) == 0);
    write_full(w.get(), "x");
    CHECK(sys::exit_code_of(sys::wait_for(pid)) == 7);
}

TEST_CASE("openat2 RESOLVE_IN_ROOT walks a symlink as if the directory were \"/\"") {
    TempDir dir;
    std::filesystem::create_directories(dir.path + "/etc");
    std::filesystem::create_symlink("/etc", dir.path + "/out"); // absolute: the directory's /etc
    std::filesystem::create_symlink("../../../../../..", dir.path + "/up");
    unique_fd root = sys::open(dir.path, O_PATH | O_DIRECTORY | O_CLOEXEC);
    unique_fd etc = sys::openat2(root.get(), "out", O_PATH | O_CLOEXEC, RESOLVE_IN_ROOT);
    CHECK(sys::fd_string(etc.get()) == std::to_string(etc.get()) + "<" + dir.path + "/etc>");
    unique_fd top = sys::openat2(root.get(), "up", O_PATH | O_CLOEXEC, RESOLVE_IN_ROOT);
    CHECK(sys::fd_string(top.get()) == std::to_string(top.get()) + "<" + dir.path + ">");
    sys::mkdirat(etc.get(), "made", 0700);
    CHECK(is_directory(dir.path + "/etc/made"));
    CHECK_THROWS_WITH_AS(sys::openat2(root.get(), "out/missing", O_PATH, RESOLVE_IN_ROOT),
                         doctest::Contains("open \"out/missing\" in fd"), Error);
}
