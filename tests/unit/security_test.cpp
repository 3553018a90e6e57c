// Phase 5's process security steps that need no root: capability names and sets, rlimit names
// and checks, and the exact prctl(2)/setrlimit(2)/seccomp(2) calls, against the fake sys.
#include "capabilities.hpp"
#include "error_of.hpp"
#include "fake_sys.hpp"
#include "rlimits.hpp"
#include "rung/error.hpp"
#include "seccomp.hpp"
#include "spec.hpp"

#include <doctest/doctest.h>
#include <linux/capability.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/resource.h>

using namespace rung;

namespace {

uint64_t hard_20000(int) {
    return 20000;
}

} // namespace

TEST_CASE("capability_number: config.md's CAP_ names, exactly as spelt") {
    CHECK(capability_number("CAP_CHOWN") == CAP_CHOWN);
    CHECK(capability_number("CAP_SYS_ADMIN") == CAP_SYS_ADMIN);
    CHECK(capability_number("CAP_AUDIT_WRITE") == CAP_AUDIT_WRITE);
    // libcap would take these; an OCI config spells capabilities(7)'s names.
    CHECK_FALSE(capability_number("cap_chown"));
    CHECK_FALSE(capability_number("CHOWN"));
    CHECK_FALSE(capability_number("CAP_0"));
    CHECK_FALSE(capability_number("CAP_BOGUS"));
    CHECK_FALSE(capability_number(""));
}

TEST_CASE("resolve_capabilities: absent means none; errors name the set and the index") {
    CapSets none = resolve_capabilities(std::nullopt, "process");
    CHECK(none.bounding.empty());
    CHECK(none.permitted.empty());

    Capabilities c;
    c.bounding = {"CAP_KILL", "CAP_NOPE"};
    CHECK(error_of([&] { resolve_capabilities(c, "config.json: process"); }) ==
          "config.json: process.capabilities.bounding[1]: unknown capability \"CAP_NOPE\"");

    Capabilities e;
    e.bounding = e.effective = {"CAP_KILL"};
    CHECK(error_of([&] { resolve_capabilities(e, "process"); }) ==
          "process.capabilities.effective[0]: CAP_KILL is not in permitted: only a permitted "
          "capability can be effective");
}

TEST_CASE("resolve_capabilities: an ambient capability must be permitted and inheritable") {
    Capabilities c;
    c.permitted = c.inheritable = {"CAP_KILL"};
    c.ambient = {"CAP_KILL", "CAP_CHOWN"};
    std::vector<std::string> skipped;
    CapSets s = resolve_capabilities(c, "process", &skipped);
    CHECK(s.ambient == std::vector<int>{CAP_KILL});
    REQUIRE(skipped.size() == 1);
    CHECK(skipped[0] == "process.capabilities.ambient: CAP_CHOWN cannot be raised (it must be "
                        "permitted and inheritable too)");
}

TEST_CASE("drop_bounding_set: PR_CAPBSET_DROP for what is not listed, never for what is") {
    Capabilities c;
    c.bounding = {"CAP_KILL", "CAP_CHOWN"};
    fake_sys::reset();
    drop_bounding_set(resolve_capabilities(c, "process"));
    auto calls = fake_sys::calls_named("prctl");
    REQUIRE_FALSE(calls.empty());
    for (const auto& call : calls) {
        CHECK(call.flags == PR_CAPBSET_DROP);
        CHECK(call.args[0] != std::to_string(CAP_KILL));
        CHECK(call.args[0] != std::to_string(CAP_CHOWN));
    }
}

TEST_CASE("raise_ambient_capabilities: cleared first, then each one raised") {
    CapSets s;
    s.ambient = {CAP_NET_BIND_SERVICE};
    fake_sys::reset();
    raise_ambient_capabilities(s);
    auto calls = fake_sys::calls_named("prctl");
    REQUIRE(calls.size() == 2);
    CHECK(calls[0].flags == PR_CAP_AMBIENT);
    CHECK(calls[0].args[0] == std::to_string(PR_CAP_AMBIENT_CLEAR_ALL));
    CHECK(calls[1].args == std::vector<std::string>{std::to_string(PR_CAP_AMBIENT_RAISE),
                                                    std::to_string(CAP_NET_BIND_SERVICE)});
}

TEST_CASE("rlimit_resource: every Linux RLIMIT_, nothing else") {
    CHECK(rlimit_resource("RLIMIT_NOFILE") == RLIMIT_NOFILE);
    CHECK(rlimit_resource("RLIMIT_RTTIME") == RLIMIT_RTTIME);
    CHECK(rlimit_resource("RLIMIT_MSGQUEUE") == RLIMIT_MSGQUEUE);
    CHECK_FALSE(rlimit_resource("RLIMIT_NLIMITS"));
    CHECK_FALSE(rlimit_resource("NOFILE"));
}

TEST_CASE("check_rlimits: unknown, soft above hard, above the host's hard limit") {
    auto err = [](std::vector<Rlimit> r, bool may_raise = false) {
        return error_of([&] { check_rlimits(r, "config.json: process", hard_20000, may_raise); });
    };
    CHECK(err({{"RLIMIT_FOO", 1, 1}}) ==
          "config.json: process.rlimits[0]: unknown rlimit type \"RLIMIT_FOO\"");
    CHECK(err({{"RLIMIT_NOFILE", 10, 10}, {"RLIMIT_CORE", 8, 9}}) ==
          "config.json: process.rlimits[1]: RLIMIT_CORE soft 9 is above hard 8");
    CHECK(err({{"RLIMIT_NOFILE", 30000, 1024}}) ==
          "config.json: process.rlimits[0]: RLIMIT_NOFILE hard 30000 is above this host's hard "
          "limit 20000 and rung lacks CAP_SYS_RESOURCE");
    CHECK(err({{"RLIMIT_NOFILE", 30000, 1024}}, true) == "");
    CHECK(err({{"RLIMIT_NOFILE", 20000, 20000}}) == "");
}

TEST_CASE("apply_rlimits: one setrlimit each, soft and hard as given") {
    fake_sys::reset();
    apply_rlimits({{"RLIMIT_NOFILE", 200, 100}});
    auto calls = fake_sys::calls_named("setrlimit");
    REQUIRE(calls.size() == 1);
    CHECK(calls[0].flags == RLIMIT_NOFILE);
    CHECK(calls[0].args == std::vector<std::string>{"RLIMIT_NOFILE", "100", "200"});
    CHECK(calls[0].rule == "config.md: process.rlimits");
}

// config-linux.md, seccomp: the compiled program goes on with one seccomp(2) call, with the
// flags the profile asks for (nothing of libseccomp's own seccomp_load).
TEST_CASE("seccomp: load() is one seccomp(SECCOMP_SET_MODE_FILTER) with the profile's flags") {
    fake_sys::reset();
    fake_sys::pass_through("memfd_create"); // the compiler writes the program into one
    json config = json::parse(R"({"ociVersion": "1.2.0", "process": {"args": ["sh"], "cwd": "/",
        "user": {"uid": 0, "gid": 0}}, "root": {"path": "rootfs"}, "linux": {"seccomp": {
        "defaultAction": "SCMP_ACT_ALLOW", "flags": ["SECCOMP_FILTER_FLAG_LOG",
        "SECCOMP_FILTER_FLAG_SPEC_ALLOW"], "syscalls": [{"names": ["mkdir"],
        "action": "SCMP_ACT_ERRNO"}]}}})");
    seccomp::Filter filter(*parse_spec(config).linux.seccomp);
    filter.load();
    auto loads = fake_sys::calls_named("seccomp_set_filter");
    REQUIRE(loads.size() == 1);
    CHECK(loads[0].flags == (SECCOMP_FILTER_FLAG_LOG | SECCOMP_FILTER_FLAG_SPEC_ALLOW));
    CHECK(loads[0].args == std::vector<std::string>{std::to_string(filter.program().insns.size())});
    CHECK(loads[0].rule == "config-linux.md: seccomp");
    // Nothing but the load touches the kernel when it happens (the memfd was at compile).
    CHECK(fake_sys::call_names() == std::vector<std::string>{"memfd_create", "seccomp_set_filter"});
}
