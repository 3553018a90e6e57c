// Phase 5's defence of the runtime binary (reexec.cpp), linked against the fake sys: the exact
// calls that make the sealed copy and run it, and the dumpable switch.
#include "fake_sys.hpp"
#include "reexec.hpp"
#include "rung/error.hpp"

#include <cerrno>
#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/prctl.h>

namespace fake_sys = rung::fake_sys;

TEST_CASE("run_from_sealed_copy: copy /proc/self/exe to a memfd, seal it, execveat it") {
    fake_sys::reset(); // the fake get_seals says "not a memfd": the copy is made
    CHECK_THROWS_AS(rung::run_from_sealed_copy(), fake_sys::Executed);
    CHECK(fake_sys::call_names() == std::vector<std::string>{"open", "get_seals", "memfd_create",
                                                             "sendfile", "add_seals", "fexecve"});
    auto open = fake_sys::calls_named("open")[0];
    CHECK(open.args[0] == "/proc/self/exe");
    CHECK(open.flags == (O_RDONLY | O_CLOEXEC));
    CHECK(fake_sys::calls_named("memfd_create")[0].flags ==
          (MFD_CLOEXEC | MFD_ALLOW_SEALING | 0x0010U)); // MFD_EXEC
    CHECK(fake_sys::calls_named("add_seals")[0].flags ==
          (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE));
    // The same argv: this test program's own, as the kernel holds it.
    auto exec = fake_sys::calls_named("fexecve")[0];
    REQUIRE(exec.args.size() >= 2);
    CHECK(exec.args[1].find("unit_reexec_phase5") != std::string::npos);
}

TEST_CASE("run_from_sealed_copy: a kernel without MFD_EXEC gets the memfd without it") {
    fake_sys::reset();
    fake_sys::fail("memfd_create", EINVAL, [](const fake_sys::Call& c) { return c.flags & 0x10; });
    CHECK_THROWS_AS(rung::run_from_sealed_copy(), fake_sys::Executed);
    auto memfds = fake_sys::calls_named("memfd_create");
    REQUIRE(memfds.size() == 2);
    CHECK(memfds[1].flags == (MFD_CLOEXEC | MFD_ALLOW_SEALING));
}

TEST_CASE("run_from_sealed_copy: a failed copy is an error, and nothing is executed") {
    fake_sys::reset();
    fake_sys::fail("sendfile", ENOSPC);
    CHECK_THROWS_AS(rung::run_from_sealed_copy(), rung::Error);
    CHECK(fake_sys::calls_named("fexecve").empty());
    CHECK(fake_sys::calls_named("add_seals").empty());
}

TEST_CASE("hide_from_container: PR_SET_DUMPABLE 0") {
    fake_sys::reset();
    rung::hide_from_container();
    auto calls = fake_sys::calls_named("prctl");
    REQUIRE(calls.size() == 1);
    CHECK(calls[0].flags == PR_SET_DUMPABLE);
    CHECK(calls[0].args == std::vector<std::string>{"0", "0"});
}
