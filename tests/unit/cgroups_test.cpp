// The cgroup v2 manager (phase 4 on): where the hierarchy is, which cgroup cgroupsPath names,
// the writes linux.resources becomes, size parsing for `update`, stats in runc's shape; and, on
// a fake cgroup tree of plain files, what apply() writes and refuses.
#include "cgroups.hpp"
#include "error_of.hpp"
#include "rung/error.hpp"
#include "rung/file.hpp"
#include "temp_dir.hpp"

#include <climits>
#include <doctest/doctest.h>
#include <linux/magic.h>

using namespace rung;
using namespace rung::cgroups;

namespace {

// The writes as "file=value" strings, in order.
std::vector<std::string> files(const std::vector<Write>& plan) {
    std::vector<std::string> out;
    for (const auto& w : plan)
        out.push_back(w.file + "=" + w.value);
    return out;
}

Resources with_memory(Memory m) {
    Resources r;
    r.memory = m;
    return r;
}

Resources with_cpu(Cpu c) {
    Resources r;
    r.cpu = c;
    return r;
}

} // namespace

TEST_CASE("the hierarchy: cgroup2 on /sys/fs/cgroup, else on /sys/fs/cgroup/unified") {
    auto unified = classify_hierarchy(CGROUP2_SUPER_MAGIC, std::nullopt);
    CHECK(unified.mount == "/sys/fs/cgroup");
    CHECK_FALSE(unified.hybrid);
    auto hybrid = classify_hierarchy(TMPFS_MAGIC, CGROUP2_SUPER_MAGIC);
    CHECK(hybrid.mount == "/sys/fs/cgroup/unified");
    CHECK(hybrid.hybrid);
    CHECK(hybrid.describe() == "the cgroup v2 hierarchy at /sys/fs/cgroup/unified (a hybrid host)");
    std::string e = error_of([] { classify_hierarchy(TMPFS_MAGIC, std::nullopt); });
    CHECK(e.find("no cgroup v2 hierarchy: /sys/fs/cgroup is a tmpfs and /sys/fs/cgroup/unified "
                 "is missing") == 0);
    CHECK(error_of([] {
              classify_hierarchy(CGROUP_SUPER_MAGIC, CGROUP_SUPER_MAGIC);
          }).find("cgroup (v1)") != std::string::npos);
}

TEST_CASE("the runtime's own cgroup is the 0:: line of /proc/self/cgroup") {
    CHECK(own_cgroup("0::/\n") == "/");
    CHECK(own_cgroup("12:memory:/x\n1:name=systemd:/y\n0::/user.slice/s.scope\n") ==
          "/user.slice/s.scope");
    CHECK_THROWS_AS(own_cgroup("12:memory:/x\n"), Error);
}

TEST_CASE("cgroupsPath: default, absolute, relative under the parent of rung's own cgroup") {
    const std::string own = "/user.slice/session-1.scope";
    CHECK(resolve_path(std::nullopt, "abc", own) == "/rung/abc");
    CHECK(resolve_path(std::string(""), "abc", own) == "/rung/abc");
    CHECK(resolve_path(std::string("/kubepods/pod1/ctr"), "abc", own) == "/kubepods/pod1/ctr");
    CHECK(resolve_path(std::string("//a//b/"), "abc", own) == "/a/b");
    CHECK(resolve_path(std::string("mine/ctr"), "abc", own) == "/user.slice/mine/ctr");
    CHECK(resolve_path(std::string("ctr"), "abc", "/") == "/ctr");
    CHECK(error_of([&] { resolve_path(std::string("/a/../../etc"), "abc", own); }) ==
          "linux.cgroupsPath \"/a/../../etc\": \".\" and \"..\" are not allowed in a cgroup path");
    CHECK(error_of([&] {
              resolve_path(std::string("system.slice:rung:abc"), "abc", own);
          }).find("systemd's slice:prefix:name form") != std::string::npos);
    CHECK(error_of([&] {
              resolve_path(std::string("/"), "abc", own);
          }).find("names the root cgroup") != std::string::npos);
}

TEST_CASE("cpu shares become cpu.weight, blkio weights io.weight") {
    CHECK(cpu_weight(2) == 1);
    CHECK(cpu_weight(1024) == 39);
    CHECK(cpu_weight(262144) == 10000);
    CHECK(cpu_weight(1) == 1);           // v1 clamps to 2
    CHECK(cpu_weight(1000000) == 10000); // and to 262144
    CHECK(io_weight(10) == 1);
    CHECK(io_weight(500) == 4950);
    CHECK(io_weight(1000) == 10000);
}

TEST_CASE("memory: limit, reservation, and OCI's memory+swap as memory.swap.max") {
    Memory m;
    m.limit = 100 << 20;
    m.reservation = 50 << 20;
    m.swap = 150 << 20;
    auto plan = plan_resources(with_memory(m));
    CHECK(files(plan) == std::vector<std::string>{"memory.swap.max=52428800",
                                                  "memory.max=104857600", "memory.low=52428800"});
    CHECK(plan[1].controller == "memory");
    CHECK(plan[1].property == "linux.resources.memory.limit");
    CHECK_FALSE(plan[0].if_exists); // a real swap limit must be applied

    Memory equal;
    equal.limit = equal.swap = 64 << 20; // no swap at all: 0, fine without swap accounting
    plan = plan_resources(with_memory(equal));
    CHECK(files(plan) == std::vector<std::string>{"memory.swap.max=0", "memory.max=67108864"});
    CHECK(plan[0].if_exists);

    Memory unlimited;
    unlimited.limit = -1;
    CHECK(files(plan_resources(with_memory(unlimited))) ==
          std::vector<std::string>{"memory.swap.max=max", "memory.max=max"});

    Memory zero;
    zero.limit = 0; // runc's "not set"
    CHECK(plan_resources(with_memory(zero)).empty());
}

TEST_CASE("memory: what cgroup v2 cannot do is an error naming the property") {
    Memory no_limit;
    no_limit.swap = 100;
    CHECK(error_of([&] { plan_resources(with_memory(no_limit)); }) ==
          "linux.resources.memory.swap: memory+swap needs a memory.limit to subtract from");
    Memory below;
    below.limit = 200;
    below.swap = 100;
    CHECK(error_of([&] { plan_resources(with_memory(below)); }) ==
          "linux.resources.memory.swap: memory+swap (100) is below memory.limit (200)");
    Memory oom;
    oom.disable_oom_killer = true;
    CHECK(error_of([&] {
              plan_resources(with_memory(oom));
          }).starts_with("linux.resources.memory.disableOOMKiller: cgroup v2 cannot disable"));
    oom.disable_oom_killer = false; // the default: nothing to do
    CHECK(plan_resources(with_memory(oom)).empty());
    Memory swappiness;
    swappiness.swappiness = 10;
    CHECK_THROWS_AS(plan_resources(with_memory(swappiness)), Error);
    Memory kernel;
    kernel.kernel = 1 << 20;
    CHECK_THROWS_AS(plan_resources(with_memory(kernel)), Error);
    Memory negative;
    negative.limit = -5;
    CHECK_THROWS_AS(plan_resources(with_memory(negative)), Error);
}

TEST_CASE("cpu: weight, cpu.max from quota and period, burst around it, cpuset, idle") {
    Cpu c;
    c.shares = 1024;
    c.quota = 50000;
    c.period = 100000;
    c.cpus = "0-1";
    c.mems = "0";
    c.idle = 0;
    auto plan = plan_resources(with_cpu(c));
    CHECK(files(plan) == std::vector<std::string>{"cpu.weight=39", "cpu.max=50000 100000",
                                                  "cpu.idle=0", "cpuset.cpus=0-1",
                                                  "cpuset.mems=0"});
    CHECK(controllers_of(plan) == std::set<std::string>{"cpu", "cpuset"});

    Cpu quota_only;
    quota_only.quota = 20000;
    CHECK(files(plan_resources(with_cpu(quota_only))) == std::vector<std::string>{"cpu.max=20000"});
    Cpu period_only;
    period_only.period = 250000;
    CHECK(files(plan_resources(with_cpu(period_only))) ==
          std::vector<std::string>{"cpu.max=max 250000"});
    Cpu unlimited;
    unlimited.quota = -1;
    CHECK(files(plan_resources(with_cpu(unlimited))) == std::vector<std::string>{"cpu.max=max"});

    Cpu burst;
    burst.quota = 50000;
    burst.burst = 10000;
    plan = plan_resources(with_cpu(burst));
    CHECK(files(plan) ==
          std::vector<std::string>{"cpu.max.burst=10000", "cpu.max=50000", "cpu.max.burst=10000"});
    CHECK(plan[0].may_fail);
    CHECK_FALSE(plan[2].may_fail);
    Cpu burst_alone;
    burst_alone.burst = 1000;
    plan = plan_resources(with_cpu(burst_alone));
    CHECK(files(plan) == std::vector<std::string>{"cpu.max.burst=1000"});
    CHECK_FALSE(plan[0].may_fail);

    burst.burst = 60000;
    CHECK(error_of([&] { plan_resources(with_cpu(burst)); }) ==
          "linux.resources.cpu.burst: a burst (60000) larger than the quota (50000)");
    Cpu rt;
    rt.realtime_runtime = 950000;
    CHECK(error_of([&] { plan_resources(with_cpu(rt)); }).find("no realtime cpu controller") !=
          std::string::npos);
}

TEST_CASE("pids: -1 is max, 0 is a limit") {
    Resources r;
    r.pids = Pids{-1};
    CHECK(files(plan_resources(r)) == std::vector<std::string>{"pids.max=max"});
    r.pids = Pids{0};
    CHECK(files(plan_resources(r)) == std::vector<std::string>{"pids.max=0"});
    r.pids = Pids{32};
    CHECK(files(plan_resources(r)) == std::vector<std::string>{"pids.max=32"});
}

TEST_CASE("blockIO: io.weight by default and per device, io.max for the throttles") {
    BlockIo b;
    b.weight = 500;
    b.weight_device = {{8, 0, uint16_t{10}, std::nullopt}};
    b.throttle_read_bps_device = {{8, 0, 1048576}};
    b.throttle_write_bps_device = {{8, 0, 0}};
    b.throttle_read_iops_device = {{8, 16, 100}};
    b.throttle_write_iops_device = {{8, 16, 50}};
    Resources r;
    r.block_io = b;
    auto plan = plan_resources(r);
    CHECK(files(plan) == std::vector<std::string>{"io.weight=default 4950", "io.weight=8:0 1",
                                                  "io.max=8:0 rbps=1048576", "io.max=8:0 wbps=max",
                                                  "io.max=8:16 riops=100", "io.max=8:16 wiops=50"});
    CHECK(controllers_of(plan) == std::set<std::string>{"io"});
    b.leaf_weight = 100;
    r.block_io = b;
    CHECK(error_of([&] { plan_resources(r); }).starts_with("linux.resources.blockIO.leafWeight"));
}

TEST_CASE("hugepage limits, rdma, and the unified map, which comes last") {
    Resources r;
    r.hugepage_limits = {{"2MB", 4194304}};
    r.rdma["mlx5_0"] = Rdma{uint32_t{4}, std::nullopt};
    r.unified = {{"memory.high", "1G"}, {"cgroup.max.depth", "3"}};
    r.pids = Pids{10};
    auto plan = plan_resources(r);
    CHECK(files(plan) == std::vector<std::string>{"pids.max=10", "hugetlb.2MB.max=4194304",
                                                  "hugetlb.2MB.rsvd.max=4194304",
                                                  "rdma.max=mlx5_0 hca_handle=4",
                                                  "cgroup.max.depth=3", "memory.high=1G"});
    CHECK(plan[2].if_exists);
    CHECK(plan[4].controller.empty()); // a core file: no controller needed
    CHECK(plan[5].controller == "memory");
    CHECK(plan[5].property == "linux.resources.unified.memory.high");

    for (const char* key : {"cgroup.procs", "cgroup.kill", "cgroup.freeze", "../x", "a/b", "max"}) {
        Resources u;
        u.unified = {{key, "1"}};
        CAPTURE(key);
        CHECK_THROWS_AS(plan_resources(u), Error);
    }
    Resources net;
    net.network = Network{uint32_t{1}, {}};
    CHECK(error_of([&] { plan_resources(net); }).find("net_cls and net_prio") != std::string::npos);
}

TEST_CASE("sizes for update: bytes, binary units, -1") {
    CHECK(parse_size("1048576") == 1048576);
    CHECK(parse_size("100M") == 104857600);
    CHECK(parse_size("100m") == 104857600);
    CHECK(parse_size("100MB") == 104857600);
    CHECK(parse_size("2GiB") == 2147483648);
    CHECK(parse_size("1.5g") == 1610612736);
    CHECK(parse_size("512k") == 524288);
    CHECK(parse_size("10 MB") == 10485760);
    CHECK(parse_size("7b") == 7);
    CHECK(parse_size(" 1t ") == 1099511627776);
    CHECK(parse_size("-1") == -1);
    for (const char* bad : {"", "abc", "10x", "1..5", ".5m", "5.m", "-2", "1mm", "9999999P"}) {
        CAPTURE(bad);
        CHECK_THROWS_AS(parse_size(bad), Error);
    }
    CHECK(error_of([] { parse_size("10x"); }).starts_with("invalid size \"10x\": unknown unit"));
}

TEST_CASE("flat-keyed files and single values") {
    auto m = parse_flat_keyed("usage_usec 1200\nuser_usec 1000\nsystem_usec 200\nbad x\n");
    CHECK(m == std::map<std::string, uint64_t>{
                   {"usage_usec", 1200}, {"user_usec", 1000}, {"system_usec", 200}});
    CHECK(parse_limit("max\n") == std::nullopt);
    CHECK(parse_limit("4096\n") == 4096);
    CHECK_THROWS_AS(parse_limit("lots"), Error);
}

TEST_CASE("stats in runc's event shape") {
    Stats s;
    s.cpu_stat = {{"usage_usec", 1500}, {"user_usec", 1000}, {"system_usec", 500},
                  {"nr_periods", 10},   {"nr_throttled", 3}, {"throttled_usec", 20}};
    s.memory_current = 4096;
    s.memory_max = std::nullopt; // "max"
    s.swap_current = 0;
    s.memory_stat = {{"file", 1024}, {"anon", 3072}};
    s.memory_events = {{"max", 2}, {"oom_kill", 1}};
    s.pids_current = 3;
    s.pids_max = 100;
    auto j = stats_json(s);
    CHECK(j["cpu"]["usage"]["total"] == 1500000);
    CHECK(j["cpu"]["usage"]["kernel"] == 500000);
    CHECK(j["cpu"]["usage"]["user"] == 1000000);
    CHECK(j["cpu"]["throttling"]["throttledPeriods"] == 3);
    CHECK(j["cpu"]["throttling"]["throttledTime"] == 20000);
    CHECK(j["memory"]["cache"] == 1024);
    CHECK(j["memory"]["usage"]["usage"] == 4096);
    CHECK(j["memory"]["usage"]["limit"] == UINT64_MAX);
    CHECK(j["memory"]["usage"]["failcnt"] == 2);
    CHECK(j["memory"]["swap"]["usage"] == 4096); // memory+swap, as cgroup v1 counted it
    CHECK(j["memory"]["raw"]["anon"] == 3072);
    CHECK(j["pids"] == nlohmann::ordered_json{{"current", 3}, {"limit", 100}});

    Stats none; // no memory or pids controller enabled: those sections stay empty
    auto e = stats_json(none);
    CHECK(e["memory"].empty());
    CHECK(e["pids"].empty());
    CHECK(e["cpu"]["usage"]["kernel"] == 0);
}

// A cgroup tree of plain files: enough to see what apply() writes and refuses, without root.
struct FakeTree {
    TempDir tmp;
    Hierarchy h;
    FakeTree() : h{tmp.path, false} {
        write_file(tmp.path + "/cgroup.controllers", "cpu memory pids\n");
        write_file(tmp.path + "/cgroup.subtree_control", "memory\n");
        mkdir_all(tmp.path + "/ctr");
        write_file(tmp.path + "/ctr/cgroup.controllers", "memory\n");
        write_file(tmp.path + "/ctr/cgroup.subtree_control", "");
        write_file(tmp.path + "/ctr/memory.max", "");
        write_file(tmp.path + "/ctr/memory.current", "1000\n");
    }
    std::string read(const std::string& f) { return read_file(tmp.path + "/ctr/" + f); }
};

TEST_CASE("apply writes each value once, skips an absent optional file, names a missing one") {
    FakeTree t;
    Cgroup cg(t.h, "/ctr");
    Memory m;
    m.limit = -1; // memory.swap.max=max (optional: absent here), memory.max=max
    cg.apply(plan_resources(with_memory(m)));
    CHECK(t.read("memory.max") == "max");
    CHECK_FALSE(path_exists(t.tmp.path + "/ctr/memory.swap.max"));

    Memory swap;
    swap.limit = 100;
    swap.swap = 200;
    CHECK(error_of([&] { cg.apply(plan_resources(with_memory(swap))); }) ==
          "linux.resources.memory.swap: this kernel has no memory.swap.max in \"" + t.tmp.path +
              "/ctr\"");
}

TEST_CASE("a controller the hierarchy lacks is an error naming it, the property and the host") {
    FakeTree t;
    Cgroup cg(t.h, "/ctr");
    Resources r;
    r.block_io = BlockIo{};
    r.block_io->weight = 100;
    CHECK(error_of([&] { cg.check_controllers(plan_resources(r)); }) ==
          "linux.resources.blockIO.weight needs the io controller, which the cgroup v2 hierarchy "
          "at " +
              t.tmp.path + " does not have (cgroup.controllers: \"cpu memory pids\")");
    r = Resources{};
    r.pids = Pids{5};
    cg.check_controllers(plan_resources(r)); // pids is there
}

TEST_CASE("checkBeforeUpdate refuses a memory limit below the current usage") {
    FakeTree t;
    Cgroup cg(t.h, "/ctr");
    Memory m;
    m.limit = 500;
    CHECK(error_of([&] { cg.apply(plan_resources(with_memory(m)), true); }) ==
          "linux.resources.memory.limit: 500 is below the current usage 1000 (checkBeforeUpdate)");
    m.limit = 2000;
    cg.apply(plan_resources(with_memory(m)), true);
    CHECK(t.read("memory.max") == "2000");
}

TEST_CASE("processes are read from cgroup.procs of the cgroup and every child cgroup") {
    FakeTree t;
    write_file(t.tmp.path + "/ctr/cgroup.procs", "10\n11\n");
    mkdir_all(t.tmp.path + "/ctr/sub");
    write_file(t.tmp.path + "/ctr/sub/cgroup.procs", "12\n");
    auto pids = Cgroup(t.h, "/ctr").processes();
    std::sort(pids.begin(), pids.end());
    CHECK(pids == std::vector<pid_t>{10, 11, 12});
}

TEST_CASE("create refuses a cgroup that holds processes, and leaves it where it was") {
    FakeTree t;
    write_file(t.tmp.path + "/ctr/cgroup.procs", "42\n");
    Cgroup cg(t.h, "/ctr");
    CHECK(error_of([&] { cg.create({}); }) ==
          "cgroup \"" + t.tmp.path + "/ctr\" already holds processes");
    CHECK(is_directory(t.tmp.path + "/ctr"));
}

TEST_CASE("create makes the missing directories, says which, and remove takes only those") {
    FakeTree t;
    Cgroup cg(t.h, "/ctr/a/b");
    CHECK(cg.missing() == std::vector<std::string>{"/ctr/a", "/ctr/a/b"});
    auto made = cg.create({}); // no controller to enable: no subtree_control is read
    CHECK(made == std::vector<std::string>{"/ctr/a", "/ctr/a/b"});
    CHECK(is_directory(t.tmp.path + "/ctr/a/b"));
    CHECK(cg.missing().empty());
    cg.remove(made);
    CHECK_FALSE(path_exists(t.tmp.path + "/ctr/a"));
    CHECK(is_directory(t.tmp.path + "/ctr")); // there before: not rung's
    cg.remove(made);                          // the destroy path may run twice
}

TEST_CASE("update's flags become the resources they name, and nothing else") {
    UpdateFlags f;
    f.memory = "32M";
    f.memory_swap = "-1";
    f.pids_limit = "10";
    f.cpu_quota = "20000";
    f.cpu_period = "100000";
    f.cpuset_cpus = "0-1";
    Resources r = resources_from_flags(f);
    REQUIRE(r.memory);
    CHECK(r.memory->limit == 33554432);
    CHECK(r.memory->swap == -1);
    CHECK_FALSE(r.memory->reservation);
    CHECK(r.pids->limit == 10);
    CHECK(r.cpu->quota == 20000);
    CHECK(r.cpu->period == 100000);
    CHECK(r.cpu->cpus == "0-1");
    CHECK_FALSE(r.cpu->shares);
    CHECK_FALSE(r.block_io);
    CHECK_FALSE(resources_from_flags(UpdateFlags{}).memory);

    UpdateFlags bad;
    bad.memory = "12Q";
    CHECK(
        error_of([&] { resources_from_flags(bad); }).starts_with("--memory: invalid size \"12Q\""));
    UpdateFlags shares;
    shares.cpu_shares = "many";
    CHECK(error_of([&] { resources_from_flags(shares); }) ==
          "--cpu-shares: not a number: \"many\"");
    UpdateFlags weight;
    weight.blkio_weight = "5";
    CHECK_THROWS_AS(resources_from_flags(weight), Error);
}

TEST_CASE("merge: what the update sets replaces, the rest of the container's resources stays") {
    Resources base;
    base.memory = Memory{};
    base.memory->limit = 64 << 20;
    base.memory->swap = 128 << 20;
    base.pids = Pids{100};
    base.unified = {{"memory.high", "50M"}};
    Resources change;
    change.memory = Memory{};
    change.memory->limit = 32 << 20;
    change.cpu = Cpu{};
    change.cpu->shares = 512;
    change.unified = {{"pids.max", "7"}};
    Resources r = merge_resources(base, change);
    CHECK(r.memory->limit == 32 << 20);
    CHECK(r.memory->swap == 128 << 20); // kept: memory+swap is still 128 MiB
    CHECK(r.pids->limit == 100);
    CHECK(r.cpu->shares == 512);
    CHECK(r.unified ==
          std::map<std::string, std::string>{{"memory.high", "50M"}, {"pids.max", "7"}});
    CHECK(files(plan_resources(r)) == std::vector<std::string>{"memory.swap.max=100663296",
                                                               "memory.max=33554432",
                                                               "cpu.weight=20", "pids.max=100",
                                                               "memory.high=50M", "pids.max=7"});
}
