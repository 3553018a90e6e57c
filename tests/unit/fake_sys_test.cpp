// The fake sys records each call with its arguments, flags and rule, and fails when told: the
// ground the step tests (mount, /dev, namespaces) stand on.
#include "fake_sys.hpp"
#include "rung/error.hpp"
#include "rung/file.hpp"
#include "rung/sys.hpp"
#include "temp_dir.hpp"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

using namespace rung;
using Args = std::vector<std::string>;

TEST_CASE("the fake sys records each call with its arguments, flags and rule") {
    fake_sys::reset();
    sys::mount("proc", "/r/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, "",
               "config.md: mounts");
    sys::mknod("/r/dev/null", S_IFCHR | 0666, makedev(1, 3), "config-linux.md: devices");
    sys::setns(7, CLONE_NEWNET);
    REQUIRE(fake_sys::call_names() == Args{"mount", "mknod", "setns"});

    const fake_sys::Call& m = fake_sys::calls()[0];
    CHECK(m.args == Args{"proc", "/r/proc", "proc", ""});
    CHECK(m.flags == (MS_NOSUID | MS_NODEV | MS_NOEXEC));
    CHECK(m.rule == "config.md: mounts");

    auto nodes = fake_sys::calls_named("mknod");
    REQUIRE(nodes.size() == 1);
    CHECK(nodes[0].args == Args{"/r/dev/null", "1", "3"});
    CHECK(nodes[0].flags == (S_IFCHR | 0666));

    CHECK(fake_sys::calls_named("setns")[0].flags == CLONE_NEWNET);
    CHECK(fake_sys::calls_named("setns")[0].rule.empty());
    CHECK(fake_sys::calls_named("umount2").empty());
}

TEST_CASE("the fake sys fails the calls it is told to, with the real wrapper's error") {
    fake_sys::reset();
    fake_sys::fail("mknod", EPERM);
    CHECK_THROWS_WITH_AS(sys::mknod("/r/dev/null", S_IFCHR | 0666, makedev(1, 3)),
                         "mknod \"/r/dev/null\": Operation not permitted", Error);
    // Every mknod fails until reset; the failed calls are recorded; other calls succeed.
    CHECK_THROWS_AS(sys::mknod("/r/dev/zero", S_IFCHR | 0666, makedev(1, 5)), Error);
    CHECK_NOTHROW(sys::mount("/dev/null", "/r/dev/null", "", MS_BIND));
    CHECK(fake_sys::call_names() == Args{"mknod", "mknod", "mount"});

    fake_sys::reset();
    CHECK_NOTHROW(sys::mknod("/r/dev/null", S_IFCHR | 0666, makedev(1, 3)));
}

TEST_CASE("a failure can be limited to the calls a predicate picks") {
    fake_sys::reset();
    fake_sys::fail("mount", ENODEV, [](const fake_sys::Call& c) { return c.args[2] == "sysfs"; });
    CHECK_NOTHROW(sys::mount("proc", "/r/proc", "proc", 0));
    try {
        sys::mount("sysfs", "/r/sys", "sysfs", MS_RDONLY);
        FAIL("the sysfs mount should fail");
    } catch (const Error& e) {
        CHECK(e.err() == ENODEV);
        CHECK(e.message() == "mount \"sysfs\" on \"/r/sys\" (type sysfs) [MS_RDONLY]");
    }
}

TEST_CASE("the fake sys returns usable fds, the pid and status it is given, and a non-Error for "
          "execve") {
    fake_sys::reset();
    unique_fd fd = sys::open("/r/dev/console", O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
    CHECK(fd);
    CHECK(fake_sys::calls()[0].args == Args{"/r/dev/console", "420"});
    CHECK(fake_sys::calls()[0].flags == static_cast<uint64_t>(O_CREAT | O_WRONLY | O_CLOEXEC));

    fake_sys::set_child_pid(99);
    fake_sys::set_wait_status(3 << 8);
    CHECK(sys::clone_process({.flags = CLONE_NEWPID}).pid == 99);
    CHECK(sys::exit_code_of(sys::wait_for(99)) == 3);
    CHECK(fake_sys::calls_named("clone3")[0].flags == CLONE_NEWPID);

    CHECK_THROWS_AS(sys::execve("/bin/sh", {"sh", "-c", "true"}, {"PATH=/bin"}),
                    fake_sys::Executed);
    CHECK(fake_sys::calls_named("execve")[0].args == Args{"/bin/sh", "sh", "-c", "true"});
    CHECK(fake_sys::calls_named("execve")[0].flags == 1); // the size of the environment
}

TEST_CASE("file calls can pass through to a TempDir; the rest are only recorded") {
    TempDir dir;
    fake_sys::reset();
    sys::symlink("pts/ptmx", dir.path + "/ptmx");
    CHECK_FALSE(path_exists(dir.path + "/ptmx"));

    fake_sys::pass_through("symlink");
    fake_sys::pass_through("mkdir");
    sys::symlink("pts/ptmx", dir.path + "/ptmx");
    sys::mkdir(dir.path + "/shm", 01777);
    sys::mknod(dir.path + "/null", S_IFCHR | 0666, makedev(1, 3)); // never made: needs root
    CHECK(path_exists(dir.path + "/ptmx"));
    CHECK(is_directory(dir.path + "/shm"));
    CHECK_FALSE(path_exists(dir.path + "/null"));
    CHECK(fake_sys::call_names() == Args{"symlink", "symlink", "mkdir", "mknod"});
    // A real failure of a call let through is the real wrapper's error.
    CHECK_THROWS_WITH_AS(sys::mkdir(dir.path + "/shm", 0755),
                         ("mkdir \"" + dir.path + "/shm\": File exists").c_str(), Error);
    fake_sys::reset();
}
