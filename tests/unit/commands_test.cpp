// Phase 4's commands that read and change the container's cgroup: update (the request from the
// flags or -r, resources kept in state.json, a refused write put back), events (runc's Go
// durations for --interval) and exec --cgroup (the sub-cgroup's path).
#include "cgroups.hpp"
#include "events.hpp"
#include "exec.hpp"
#include "rung/error.hpp"
#include "rung/file.hpp"
#include "spec.hpp"
#include "state.hpp"
#include "temp_dir.hpp"
#include "update.hpp"

#include <doctest/doctest.h>

using namespace rung;
using namespace std::chrono_literals;

namespace {

// Every field of LinuxResources that rung models, set.
const char* kAllResources = R"({
    "devices": [{"allow": false, "access": "rwm"}, {"allow": true, "type": "c", "major": 1,
                 "minor": 3, "access": "rw"}],
    "memory": {"limit": 1048576, "reservation": 524288, "swap": 2097152, "kernel": 1,
               "kernelTCP": 2, "swappiness": 10, "disableOOMKiller": false,
               "useHierarchy": true, "checkBeforeUpdate": true},
    "cpu": {"shares": 512, "quota": 20000, "burst": 1000, "period": 100000,
            "realtimeRuntime": 5, "realtimePeriod": 6, "cpus": "0-1", "mems": "0", "idle": 1},
    "pids": {"limit": 0},
    "blockIO": {"weight": 500, "leafWeight": 300,
                "weightDevice": [{"major": 8, "minor": 0, "weight": 200}],
                "throttleReadBpsDevice": [{"major": 8, "minor": 0, "rate": 1000}],
                "throttleWriteBpsDevice": [{"major": 8, "minor": 0, "rate": 2000}],
                "throttleReadIOPSDevice": [{"major": 8, "minor": 0, "rate": 30}],
                "throttleWriteIOPSDevice": [{"major": 8, "minor": 0, "rate": 40}]},
    "hugepageLimits": [{"pageSize": "2MB", "limit": 4194304}],
    "network": {"classID": 7, "priorities": [{"name": "eth0", "priority": 2}]},
    "rdma": {"mlx5_1": {"hcaHandles": 3, "hcaObjects": 1000}},
    "unified": {"memory.high": "50M"}
})";

} // namespace

TEST_CASE("--interval takes Go durations, as runc's does") {
    CHECK(parse_duration("5s") == 5s);
    CHECK(parse_duration("100ms") == 100ms);
    CHECK(parse_duration("1m30s") == 90s);
    CHECK(parse_duration("1.5h") == 90min);
    CHECK(parse_duration("250us") == 250us);
    CHECK(parse_duration("250\u00b5s") == 250us);
    CHECK(parse_duration("10ns") == 10ns);
    CHECK(parse_duration(".5s") == 500ms);
    CHECK(parse_duration("0") == 0s);
    CHECK(parse_duration("-2s") == -2s);
    CHECK_THROWS_WITH_AS(
        parse_duration("5"),
        "invalid duration \"5\": missing unit after 5 (a Go duration: 5s, 100ms, 1m30s)", Error);
    CHECK_THROWS_WITH_AS(parse_duration("5x"),
                         doctest::Contains("invalid duration \"5x\": unknown unit \"x\""), Error);
    CHECK_THROWS_WITH_AS(parse_duration(""), doctest::Contains("invalid duration \"\": empty"),
                         Error);
    CHECK_THROWS_WITH_AS(parse_duration("s"),
                         doctest::Contains("invalid duration \"s\": expected a number"), Error);
    CHECK_THROWS_WITH_AS(parse_duration("1..5s"),
                         doctest::Contains("invalid duration \"1..5s\": expected a number"), Error);
    CHECK_THROWS_AS(parse_duration("5s3"), Error); // a number needs its unit, even the last
}

TEST_CASE("LinuxResources: to JSON and back, every field, as state.json keeps them") {
    json all = json::parse(kAllResources);
    Resources r = parse_resources(all, "resources.json");
    CHECK(resources_to_json(r) == all);
    CHECK(resources_to_json(Resources{}) == json::object());
    // An empty memory object stays an (empty) object: it was given.
    Resources m;
    m.memory = Memory{};
    CHECK(resources_to_json(m) == json::parse(R"({"memory": {}})"));
}

TEST_CASE("LinuxResources on its own: errors name the file and the path in it") {
    CHECK_THROWS_WITH_AS(parse_resources(json::parse(R"({"memory": {"limit": "1G"}})"), "r.json"),
                         doctest::Contains("r.json: .memory.limit: "), Error);
    std::vector<std::string> unknown;
    parse_resources(json::parse(R"({"pids": {"limit": 3}, "bogus": 1})"), "r.json", &unknown);
    CHECK(unknown == std::vector<std::string>{".bogus"});
}

TEST_CASE("state.json keeps the resources update applied, and reads them back") {
    State s;
    s.id = "c";
    s.bundle = "/b";
    s.cgroup = "/rung/c";
    s.cgroups_created = {"/rung", "/rung/c"};
    s.resources = parse_resources(json::parse(kAllResources), "resources.json");
    ordered_json j = state_to_json(s);
    CHECK(j["cgroupPath"] == "/rung/c");
    State back = state_from_json(json::parse(j.dump()));
    CHECK(back.cgroup == "/rung/c");
    CHECK(back.cgroups_created == std::vector<std::string>{"/rung", "/rung/c"});
    REQUIRE(back.resources);
    CHECK(resources_to_json(*back.resources) == json::parse(kAllResources));
    // Before any update there are none: config.json has them.
    s.resources.reset();
    CHECK_FALSE(state_to_json(s).contains("resources"));
    CHECK_FALSE(state_from_json(json::parse(state_to_json(s).dump())).resources);
}

TEST_CASE("update's request: the flags, or -r FILE, never both, and never nothing") {
    UpdateOptions o;
    CHECK_THROWS_WITH_AS(
        requested_resources(o),
        "nothing to update: give -r FILE (or -r -) or a resource flag such as --memory", Error);
    o.flags.pids_limit = "20";
    CHECK(requested_resources(o).pids->limit == 20);

    TempDir tmp;
    std::string file = tmp.path + "/resources.json";
    write_file(file, R"({"memory": {"limit": -1}, "cpu": {"cpus": "0"}})");
    o.resources_file = file;
    CHECK_THROWS_WITH_AS(requested_resources(o),
                         "-r gives the resources as a whole: put the flags' values in it", Error);
    o.flags = {};
    Resources r = requested_resources(o);
    CHECK(r.cpu->cpus == "0");
    // runc's rule: an unlimited memory without a swap makes the swap unlimited too.
    CHECK(r.memory->limit == -1);
    CHECK(r.memory->swap == -1);

    write_file(file, R"({"memory": {"limit": "a lot"}})");
    CHECK_THROWS_WITH_AS(requested_resources(o),
                         doctest::Contains("resources.json: .memory.limit: "), Error);
    o.resources_file = tmp.path + "/missing.json";
    CHECK_THROWS_WITH_AS(requested_resources(o), doctest::Contains("No such file or directory"),
                         Error);
}

TEST_CASE("update puts back what a refused write would leave half-changed") {
    TempDir tmp;
    write_file(tmp.path + "/cgroup.controllers", "memory pids\n");
    write_file(tmp.path + "/cgroup.subtree_control", "memory pids\n");
    mkdir_all(tmp.path + "/ctr");
    // Plain files are overwritten, not truncated: the old value is the longest, so that what
    // is read back is exactly the last value written.
    write_file(tmp.path + "/ctr/memory.max", "9999999999");
    cgroups::Cgroup cg(cgroups::Hierarchy{tmp.path, false}, "/ctr");
    Resources r;
    r.memory = Memory{};
    r.memory->limit = 1000;
    r.pids = Pids{5}; // there is no pids.max: the kernel's "refusal" here
    CHECK_THROWS_WITH_AS(
        apply_or_restore(cg, cgroups::plan_resources(r), false),
        doctest::Contains("linux.resources.pids.limit: this kernel has no pids.max"), Error);
    CHECK(read_file(tmp.path + "/ctr/memory.max") == "9999999999");
    // And without a refusal, the values stay.
    r.pids.reset();
    apply_or_restore(cg, cgroups::plan_resources(r), false);
    CHECK(read_file(tmp.path + "/ctr/memory.max").starts_with("1000"));
}

TEST_CASE("exec --cgroup: a path under the container's cgroup, cgroup v2's form only") {
    CHECK(exec_cgroup_path("/rung/c", "sub") == "/rung/c/sub");
    CHECK(exec_cgroup_path("/rung/c", "/a/b") == "/rung/c/a/b"); // as runc: under it all the same
    CHECK(exec_cgroup_path("/rung/c", "./a//b/") == "/rung/c/a/b");
    CHECK(exec_cgroup_path("/rung/c", "/") == "/rung/c");
    CHECK_THROWS_WITH_AS(exec_cgroup_path("/rung/c", "../other"),
                         "--cgroup \"../other\": \"..\" would leave the container's cgroup", Error);
    CHECK_THROWS_WITH_AS(exec_cgroup_path("/rung/c", "a/../../b"), doctest::Contains("would leave"),
                         Error);
    CHECK_THROWS_WITH_AS(exec_cgroup_path("/rung/c", "cpu,memory:sub"),
                         doctest::Contains("--cgroup \"cpu,memory:sub\": a \"controller:\" prefix "
                                           "names a cgroup v1 hierarchy"),
                         Error);
}
