// fake_sys.hpp: a second implementation of rung/sys.hpp for unit tests, the library
// rung_fake_sys. It makes no kernel call that changes anything: each wrapper records the call
// (its name, its arguments, its flags and the rule it cites) and succeeds, unless the test told
// it to fail. Modelled on youki's syscall/test.rs.
//
// A step test links the phase's step code against it instead of rung_sys, so it checks the exact
// calls and flags of a step without root. For example, for H5's mount, /dev and namespace steps
// (tests/unit/CMakeLists.txt):
//
//     add_executable(unit_rootfs_phase3 main.cpp rootfs_test.cpp
//                    ${repo}/phase3-bundle/rootfs.cpp ${repo}/phase3-bundle/mount_options.cpp
//                    ${repo}/phase3-bundle/spec.cpp)
//     target_include_directories(unit_rootfs_phase3 PRIVATE ${repo}/phase3-bundle)
//     target_link_libraries(unit_rootfs_phase3 PRIVATE rung_common rung_fake_sys doctest::doctest)
//
// and in the test:
//
//     fake_sys::reset();
//     mount_all(spec);   // the step under test, with spec.root.path a TempDir
//     auto mounts = fake_sys::calls_named("mount");
//     REQUIRE(mounts.size() == 1);
//     CHECK(mounts[0].args == std::vector<std::string>{"proc", dir + "/proc", "proc", ""});
//     CHECK(mounts[0].flags == (MS_NOSUID | MS_NOEXEC | MS_NODEV));
//     CHECK(mounts[0].rule == "config.md: mounts");
//
//     fake_sys::fail("mknod", EPERM);   // as in a user namespace: the step falls back to a bind
//     setup_dev(spec);
//     CHECK(fake_sys::calls_named("mount")[0].flags == MS_BIND);
//
// What a step only reads (stat, lstat, access, readlink, file.hpp's helpers such as mkdir_all)
// is not in sys.hpp and stays real: prepare the files a step looks at in a TempDir. Since
// nothing is created, a step that looks at what an earlier call made sees it missing, unless
// the test lets that call through: fake_sys::pass_through("symlink") records each symlink and
// also makes it. Only the file calls a test can make without root, inside its TempDir, can pass
// through: open, openat, openat2, mkdir, mkdirat, mkfifo, chmod, symlink, unlink, unlinkat, rmdir,
// memfd_create (a real anonymous file: seccomp.cpp writes the compiled filter into one),
// and mknod, which makes an empty regular file in place of the node.
// An open, openat or openat2 with O_PATH only looks, so it is always made. A path through a held fd
// ("/proc/self/fd/7/null", phase 5) is recorded as the path the fd names ("/tmp/t/dev/null").
//
// The state is process-wide, like the kernel's: call reset() at the start of each test case.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace rung::fake_sys {

struct Call {
    std::string name;              // the syscall: "mount", "mknod", "setns"...
    std::vector<std::string> args; // each argument but the flags: paths and names as given ("" for
                                   // an empty one), numbers in decimal, fds as numbers
    uint64_t flags = 0;            // the flags or mode argument: mount's flags, mknod's mode...
    std::string rule;              // the rule the caller cited
};

// Every call since the last reset(), in order.
const std::vector<Call>& calls();
// The calls of one syscall, in order.
std::vector<Call> calls_named(std::string_view name);
// The names of every call, in order: {"mount", "mount", "mknod"}.
std::vector<std::string> call_names();

// Make calls of `name` fail with errno `err`: the wrapper throws the Error the real one would
// ("mknod \"/r/dev/null\": Operation not permitted"). With `when`, only the calls it accepts fail;
// without, every call of `name` until reset(). A failed call is recorded too.
void fail(std::string name, int err, std::function<bool(const Call&)> when = {});

// Let calls of `name` (one of the file calls above) really happen as well as be recorded. A
// failure set with fail() still wins.
void pass_through(std::string name);

// What the fake returns: clone_process and fork return this pid (the caller continues as the
// parent); waitpid and wait_for report this raw wait status. Defaults: 4242, 0.
void set_child_pid(int pid);
void set_wait_status(int status);

// What the fake execve throws once it has recorded the call: a real execve does not return, and
// this is not a rung::Error, so no step's error handling mistakes it for a failure.
struct Executed {};

// Forget every call and every failure, and restore the defaults.
void reset();

} // namespace rung::fake_sys
