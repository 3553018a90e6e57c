// Unit tests for spec.cpp, the typed config.json model (phase 3 on).
//
// tests/unit/CMakeLists.txt builds this file once per phase that has a spec.cpp, with
// RUNG_SPEC_PHASE set to that phase, so the same tests follow the model as later phases grow it.
// RUNG_TEST_DATA is tests/unit/data: the runtime-spec's good/bad configs and a podman config.
#include "spec.hpp"

#include "rung/error.hpp"
#include "rung/json.hpp"
#include "temp_dir.hpp"

#include <algorithm>
#include <cstdlib>
#include <doctest/doctest.h>
#include <filesystem>
#include <fstream>
#include <map>
#include <unistd.h>

#ifndef RUNG_SPEC_PHASE
#define RUNG_SPEC_PHASE 3
#endif

using namespace rung;
namespace fs = std::filesystem;

namespace {

const std::string kData = RUNG_TEST_DATA;

json load(const std::string& relative) {
    return read_json_file(kData + "/" + relative, "config.json");
}

// The smallest config rung can run, with `patch` merged in (RFC 7396: objects merge, arrays and
// values replace, null removes).
json minimal_with(const json& patch = json::object()) {
    json j = {{"ociVersion", "1.0.2"},
              {"root", {{"path", "rootfs"}}},
              {"process", {{"cwd", "/"}, {"args", {"sh"}}}}};
    j.merge_patch(patch);
    return j;
}

// The message parse_spec() throws for `j`, or "(parsed)".
std::string error_of(const json& j) {
    try {
        parse_spec(j);
    } catch (const Error& e) {
        return e.what();
    }
    return "(parsed)";
}

std::vector<fs::path> files_in(const std::string& dir) {
    std::vector<fs::path> out;
    for (const auto& entry : fs::directory_iterator(kData + "/" + dir))
        out.push_back(entry.path());
    std::sort(out.begin(), out.end());
    return out;
}

// unapplied_properties() as this phase should report it: a "(phase N)" row only while N is a
// later phase, "(not supported)" rows always.
std::vector<std::string> expected_unapplied(std::vector<std::string> rows) {
    std::erase_if(rows, [](const std::string& row) {
        auto pos = row.find("(phase ");
        return pos != std::string::npos && std::stoi(row.substr(pos + 7)) <= RUNG_SPEC_PHASE;
    });
    return rows;
}

// Write `config` as <bundle>/config.json.
void write_config(const TempDir& bundle, const json& config) {
    std::ofstream(bundle.path + "/config.json") << config;
}

} // namespace

// ---- the runtime-spec's own test configs ----

TEST_CASE("every good config of the runtime-spec parses") {
    auto files = files_in("config/good");
    CHECK(files.size() >= 9);
    for (const auto& file : files) {
        CAPTURE(file.filename().string());
        json j = load("config/good/" + file.filename().string());
        // Two examples still say 0.5.0-dev, a version before 1.0 that rung refuses on purpose
        // (config.md: compatible only within a major version). Check that, then parse them as
        // the 1.0 documents they otherwise are.
        if (j["ociVersion"].get<std::string>().starts_with("0.")) {
            CHECK(error_of(j) == "config.json: .ociVersion: unsupported version \"0.5.0-dev\", "
                                 "rung supports 1.x");
            j["ociVersion"] = "1.0.0";
        }
        CHECK_NOTHROW(parse_spec(j));
    }
}

TEST_CASE("every bad config of the runtime-spec fails, naming the place") {
    const std::map<std::string, std::string> expected = {
        {"freebsd-vnet-disable.json", "config.json: .freebsd.jail.vnet: unknown sharing mode "
                                      "\"disable\" (host and vnet take new or inherit)"},
        {"invalid-json.json", "config.json: parse error at line 1, column 2: syntax error"},
        {"linux-hugepage.json", "config.json: .linux.resources.hugepageLimits[0].pageSize: "
                                "invalid hugepage size \"64kB\" (expected a size like 2MB or 1GB)"},
        {"linux-netdevice.json", "config.json: .linux.netDevices.eth0.name: expected a string"},
        {"linux-rdma.json",
         "config.json: .linux.resources.rdma.mlx5_1.hcaHandles: expected a uint32"},
    };
    auto files = files_in("config/bad");
    CHECK(files.size() >= 5);
    for (const auto& file : files) {
        std::string name = file.filename().string();
        CAPTURE(name);
        std::string message = "(parsed)";
        try {
            parse_spec(load("config/bad/" + name));
        } catch (const Error& e) {
            message = e.what();
        }
        auto it = expected.find(name);
        // A new bad file without an entry must still fail with a located message.
        std::string want = it == expected.end() ? "config.json: " : it->second;
        CHECK(message.starts_with(want));
    }
}

TEST_CASE("the spec's full example comes out field by field") {
    json j = load("config/good/spec-example.json");
    j["ociVersion"] = "1.0.0";
    Spec s = parse_spec(j);
    CHECK(s.process.terminal);
    CHECK(s.process.user.uid == 1);
    CHECK(s.process.user.additional_gids == std::vector<uint32_t>{5, 6});
    CHECK_FALSE(s.process.user.umask.has_value());
    CHECK(s.process.capabilities->ambient == std::vector<std::string>{"CAP_NET_BIND_SERVICE"});
    REQUIRE(s.process.rlimits.size() == 2);
    CHECK(s.process.rlimits[1].type == "RLIMIT_NOFILE");
    CHECK(s.root.path == "rootfs"); // parse_spec does not resolve: load_spec does
    CHECK(s.root.readonly);
    CHECK(s.domainname == "foobarbaz.test");
    CHECK(s.mounts.size() == 7);
    CHECK(s.hooks.prestart.size() == 2);
    CHECK(s.hooks.prestart[0].env == std::vector<std::string>{"key1=value1"});
    CHECK(s.hooks.poststart[0].timeout == 5);
    CHECK_FALSE(s.hooks.poststop[0].timeout.has_value());
    const Linux& l = s.linux;
    CHECK(l.devices[0].file_mode == 438);
    CHECK(l.devices[1].type == "b");
    CHECK(l.uid_mappings[0].host_id == 1000);
    CHECK(l.sysctl.at("net.core.somaxconn") == "256");
    CHECK(l.cgroups_path == "/myRuntime/myContainer");
    const Resources& r = *l.resources;
    CHECK(r.memory->kernel == -1);
    CHECK(r.memory->disable_oom_killer == false);
    CHECK(r.cpu->cpus == "2-3");
    CHECK_FALSE(r.cpu->idle.has_value());
    CHECK(r.pids->limit == 32771);
    CHECK(r.hugepage_limits[0].limit == 9223372036854772000ull);
    CHECK(r.block_io->weight_device[0].leaf_weight == 300);
    CHECK_FALSE(r.block_io->weight_device[1].leaf_weight.has_value());
    CHECK(r.block_io->throttle_write_iops_device[0].rate == 300);
    CHECK(r.network->priorities[1].priority == 1000);
    CHECK_FALSE(r.devices[0].major.has_value());
    CHECK(r.devices[1].major == 10);
    CHECK(l.rootfs_propagation == "slave");
    CHECK(l.seccomp->architectures == std::vector<std::string>{"SCMP_ARCH_X86", "SCMP_ARCH_X32"});
    CHECK(l.time_offsets->boottime->secs == 604800);
    CHECK(l.namespaces.size() == 8);
    CHECK(l.masked_paths.size() == 4);
    CHECK(s.annotations.at("com.example.key2") == "value2");
    // Older spec versions put oomScoreAdj under resources; today it is not a property there.
    CHECK(s.unknown_properties == std::vector<std::string>{".linux.resources.oomScoreAdj"});
}

TEST_CASE("other platforms' sections are checked and kept as JSON") {
    Spec fbsd = parse_spec(load("config/good/freebsd-example.json"));
    REQUIRE(fbsd.freebsd.has_value());
    CHECK((*fbsd.freebsd)["jail"]["vnet"] == "new");
    json zos = load("config/good/zos-example.json");
    zos["ociVersion"] = "1.0.0";
    CHECK(parse_spec(zos).zos->at("namespaces").size() == 4);
    CHECK(error_of(minimal_with({{"zos", {{"namespaces", {{{"type", "network"}}}}}}})) ==
          "config.json: .zos.namespaces[0].type: unknown namespace type \"network\"");
    CHECK(error_of(minimal_with({{"windows", json::object()}})) ==
          "config.json: .windows.layerFolders: missing");
    CHECK(error_of(minimal_with({{"windows", {{"layerFolders", json::array()}}}})) ==
          "config.json: .windows.layerFolders: must not be empty");
    CHECK(error_of(minimal_with({{"vm",
                                  {{"kernel", {{"path", "/vmlinuz"}}},
                                   {"image", {{"path", "/i"}, {"format", "iso"}}}}}})) ==
          "config.json: .vm.image.format: unknown root image format \"iso\"");
    CHECK(error_of(minimal_with({{"solaris", {{"anet", {{{"linkname", 7}}}}}}})) ==
          "config.json: .solaris.anet[0].linkname: expected a string");
    json windows = minimal_with({{"windows",
                                  {{"layerFolders", {"C:\\l"}},
                                   {"credentialSpec", {{"anything", 1}}},
                                   {"resources", {{"cpu", {{"shares", 70000}}}}}}}});
    CHECK(error_of(windows) == "config.json: .windows.resources.cpu.shares: 70000 is out of range "
                               "for uint16 (0 to 65535)");
    windows["windows"].erase("resources");
    CHECK(parse_spec(windows).unknown_properties.empty()); // credentialSpec is free-form
}

// ---- podman: a real engine's config ----

TEST_CASE("podman's config.json parses with its key fields") {
    Spec s = parse_spec(load("podman-config.json"));
    CHECK(s.oci_version == "1.0.2-dev");
    CHECK(s.process.args == std::vector<std::string>{"echo", "hi"});
    CHECK(s.process.env.size() == 4);
    CHECK(s.process.env[1] == "container=podman");
    CHECK(s.process.user.umask == 18);
    CHECK(s.process.rlimits[1].soft == 4096);
    REQUIRE(s.process.capabilities.has_value());
    CHECK(s.process.capabilities->bounding.size() == 11);
    CHECK(s.process.capabilities->bounding.back() == "CAP_SYS_CHROOT");
    CHECK(s.process.capabilities->effective == s.process.capabilities->bounding);
    CHECK(s.process.capabilities->ambient.empty());
    CHECK(s.hostname == "2773c56d74a8");
    REQUIRE(s.mounts.size() == 10);
    CHECK(s.mounts[5].destination == "/etc/hosts");
    CHECK(s.mounts[5].type == "bind");
    CHECK(s.mounts[5].options == std::vector<std::string>{"bind", "rprivate"});
    std::vector<std::string> types;
    for (const auto& ns : s.linux.namespaces)
        types.push_back(ns.type);
    CHECK(types == std::vector<std::string>{"pid", "network", "ipc", "uts", "mount"});
    REQUIRE(s.linux.seccomp.has_value());
    CHECK(s.linux.seccomp->default_action == "SCMP_ACT_ERRNO");
    CHECK(s.linux.seccomp->default_errno_ret == 38);
    CHECK(s.linux.seccomp->syscalls[0].errno_ret == 1);
    CHECK(s.linux.resources->pids->limit == 2048);
    CHECK(s.linux.sysctl.at("net.ipv4.ping_group_range") == "0 0");
    CHECK(s.annotations.size() == 8);
    CHECK(s.unknown_properties.empty());
}

TEST_CASE("unapplied_properties for podman's config names each group with its phase") {
    Spec s = parse_spec(load("podman-config.json"));
    CHECK(
        unapplied_properties(s) ==
        expected_unapplied({"linux.resources (phase 4)", "linux.cgroupsPath (phase 4)",
                            "process.capabilities (phase 5)", "process.rlimits (phase 5)",
                            "linux.seccomp (phase 5)", "linux.maskedPaths (phase 5)",
                            "linux.readonlyPaths (phase 5)", "linux.resources.devices (phase 5)"}));
    const std::map<int, std::string> line = {
        {3, "config.json: not applied by phase 3: linux.resources, linux.cgroupsPath (phase 4); "
            "process.capabilities, process.rlimits, linux.seccomp, linux.maskedPaths, "
            "linux.readonlyPaths, linux.resources.devices (phase 5)"},
        {4, "config.json: not applied by phase 4: process.capabilities, process.rlimits, "
            "linux.seccomp, linux.maskedPaths, linux.readonlyPaths, linux.resources.devices "
            "(phase 5)"},
        {5, ""},
    };
    CHECK(describe_unapplied(s) == line.at(RUNG_SPEC_PHASE));
}

TEST_CASE("unapplied_properties: nothing for a plain config, 'not supported' always") {
    Spec plain = parse_spec(minimal_with());
    CHECK(unapplied_properties(plain).empty());
    CHECK(describe_unapplied(plain).empty());
    // Present but empty or false asks for nothing.
    CHECK(unapplied_properties(
              parse_spec(minimal_with(
                  {{"process", {{"noNewPrivileges", false}, {"rlimits", json::array()}}},
                   {"linux", {{"maskedPaths", json::array()}, {"mountLabel", ""}}}})))
              .empty());
    Spec odd = parse_spec(minimal_with({{"process", {{"apparmorProfile", "p"}, {"oomScoreAdj", 5}}},
                                        {"linux",
                                         {{"mountLabel", "l"},
                                          {"personality", {{"domain", "LINUX"}}},
                                          {"resources", {{"network", {{"classID", 1}}}}}}}}));
    // Phase 5 applies the LSM labels (or refuses them at create on a host without the LSM).
    bool lsm = RUNG_SPEC_PHASE >= 5;
    std::vector<std::string> want = {"linux.personality (not supported)",
                                     "linux.resources.network (not supported)"};
    if (!lsm)
        want.insert(want.begin(), {"process.apparmorProfile (not supported)",
                                   "linux.mountLabel (not supported)"});
    CHECK(unapplied_properties(odd) == want);
    CHECK(describe_unapplied(odd, "b/config.json") ==
          "b/config.json: not applied by phase " + std::to_string(RUNG_SPEC_PHASE) + ": " +
              (lsm ? "" : "process.apparmorProfile, linux.mountLabel, ") +
              "linux.personality, linux.resources.network (not supported)");
}

// ---- errors: one line naming the file and the JSON path ----

TEST_CASE("a wrong type names the path") {
    json j = minimal_with({{"mounts",
                            {{{"destination", "/a"}},
                             {{"destination", "/b"}},
                             {{"destination", "/c"}, {"options", {5}}}}}});
    CHECK(error_of(j) == "config.json: .mounts[2].options[0]: expected a string");
    CHECK(error_of(minimal_with({{"process", {{"terminal", "yes"}}}})) ==
          "config.json: .process.terminal: expected a boolean");
    CHECK(error_of(minimal_with({{"process", {{"args", "sh"}}}})) ==
          "config.json: .process.args: expected an array");
    CHECK(error_of(minimal_with({{"linux", {{"namespaces", {"pid"}}}}})) ==
          "config.json: .linux.namespaces[0]: expected an object");
    CHECK(error_of(minimal_with({{"annotations", {{"a", 1}}}})) ==
          "config.json: .annotations.a: expected a string");
    CHECK(error_of(minimal_with({{"annotations", {{"io.x-y", true}}}})) ==
          "config.json: .annotations[\"io.x-y\"]: expected a string");
    CHECK(error_of(json::array()) == "config.json: .: expected an object");
    try {
        parse_spec(minimal_with({{"hostname", 1}}), "bundle/config.json");
        FAIL("no error");
    } catch (const Error& e) {
        CHECK(std::string(e.what()) == "bundle/config.json: .hostname: expected a string");
    }
}

TEST_CASE("integers are range-checked against their schema type") {
    auto uid = [](const json& v) {
        return minimal_with({{"process", {{"user", {{"uid", v}, {"gid", 0}}}}}});
    };
    CHECK(parse_spec(uid(4294967295u)).process.user.uid == 4294967295u);
    CHECK(
        error_of(uid(4294967296ull)) ==
        "config.json: .process.user.uid: 4294967296 is out of range for uint32 (0 to 4294967295)");
    CHECK(error_of(uid(-1)) ==
          "config.json: .process.user.uid: -1 is out of range for uint32 (0 to 4294967295)");
    CHECK(error_of(uid(1.5)) == "config.json: .process.user.uid: expected a uint32");
    CHECK(error_of(uid(1.0)) == "config.json: .process.user.uid: expected a uint32");
    CHECK(error_of(uid("0")) == "config.json: .process.user.uid: expected a uint32");

    auto memory = [](const json& v) {
        return minimal_with({{"linux", {{"resources", {{"memory", {{"limit", v}}}}}}}});
    };
    CHECK(parse_spec(memory(-1)).linux.resources->memory->limit == -1);
    CHECK(parse_spec(memory(9223372036854775807ll)).linux.resources->memory->limit ==
          9223372036854775807ll);
    CHECK(error_of(memory(9223372036854775808ull)) ==
          "config.json: .linux.resources.memory.limit: 9223372036854775808 is out of range for "
          "int64 (-9223372036854775808 to 9223372036854775807)");

    json rlimit = minimal_with({{"process",
                                 {{"rlimits",
                                   {{{"type", "RLIMIT_NOFILE"},
                                     {"soft", 18446744073709551615ull},
                                     {"hard", 18446744073709551615ull}}}}}}});
    CHECK(parse_spec(rlimit).process.rlimits[0].hard == 18446744073709551615ull);
    rlimit["process"]["rlimits"][0]["soft"] = -1;
    CHECK(error_of(rlimit) == "config.json: .process.rlimits[0].soft: -1 is out of range for "
                              "uint64 (0 to 18446744073709551615)");

    CHECK(
        error_of(minimal_with({{"linux", {{"resources", {{"blockIO", {{"weight", 65536}}}}}}}})) ==
        "config.json: .linux.resources.blockIO.weight: 65536 is out of range for uint16 (0 to "
        "65535)");
    CHECK(error_of(minimal_with({{"process", {{"oomScoreAdj", 2147483648ll}}}})) ==
          "config.json: .process.oomScoreAdj: 2147483648 is out of range for int32 (-2147483648 "
          "to 2147483647)");
    CHECK(error_of(minimal_with({{"linux",
                                  {{"devices",
                                    {{{"type", "c"},
                                      {"path", "/dev/x"},
                                      {"major", 1},
                                      {"minor", 3},
                                      {"fileMode", 512}}}}}}})) ==
          "config.json: .linux.devices[0].fileMode: must be at most 511");
}

TEST_CASE("enum values and patterns of the schema") {
    CHECK(error_of(minimal_with(
              {{"linux", {{"namespaces", {{{"type", "pid"}}, {{"type", "foo"}}}}}}})) ==
          "config.json: .linux.namespaces[1].type: unknown namespace type \"foo\"");
    CHECK(error_of(minimal_with({{"linux", {{"rootfsPropagation", "rprivate"}}}})) ==
          "config.json: .linux.rootfsPropagation: unknown rootfs propagation \"rprivate\"");
    CHECK(
        error_of(minimal_with({{"linux", {{"devices", {{{"type", "x"}, {"path", "/dev/x"}}}}}}})) ==
        "config.json: .linux.devices[0].type: unknown device type \"x\"");
    CHECK(
        error_of(minimal_with(
            {{"linux", {{"resources", {{"devices", {{{"allow", true}, {"access", "rwx"}}}}}}}}})) ==
        "config.json: .linux.resources.devices[0].access: invalid device access \"rwx\" "
        "(expected letters from rwm)");
    CHECK(error_of(minimal_with(
              {{"process", {{"rlimits", {{{"type", "nofile"}, {"soft", 1}, {"hard", 1}}}}}}})) ==
          "config.json: .process.rlimits[0].type: invalid rlimit type \"nofile\" (expected a name "
          "like RLIMIT_NOFILE)");
    CHECK(
        error_of(minimal_with({{"process", {{"ioPriority", {{"class", "IOPRIO_CLASS_NONE"}}}}}})) ==
        "config.json: .process.ioPriority.class: unknown I/O priority class \"IOPRIO_CLASS_NONE\"");

    auto page = [](const char* size) {
        return minimal_with(
            {{"linux",
              {{"resources", {{"hugepageLimits", {{{"pageSize", size}, {"limit", 1}}}}}}}}});
    };
    for (const char* good : {"2MB", "1GB", "64KB", "16GB"})
        CHECK_NOTHROW(parse_spec(page(good)));
    for (const char* bad : {"0MB", "2mb", "2M", "MB", "2 MB", "2MBs"}) {
        CAPTURE(bad);
        CHECK(error_of(page(bad)).starts_with(
            "config.json: .linux.resources.hugepageLimits[0].pageSize: invalid hugepage size"));
    }

    json seccomp =
        minimal_with({{"linux",
                       {{"seccomp",
                         {{"defaultAction", "SCMP_ACT_ERRNO"},
                          {"architectures", {"SCMP_ARCH_X86_64", "SCMP_ARCH_AMD64"}}}}}}});
    CHECK(error_of(seccomp) ==
          "config.json: .linux.seccomp.architectures[1]: unknown seccomp architecture "
          "\"SCMP_ARCH_AMD64\"");
    seccomp["linux"]["seccomp"]["architectures"] = {"SCMP_ARCH_X86_64"};
    seccomp["linux"]["seccomp"]["defaultAction"] = "SCMP_ACT_DENY";
    CHECK(error_of(seccomp) ==
          "config.json: .linux.seccomp.defaultAction: unknown seccomp action \"SCMP_ACT_DENY\"");
    seccomp["linux"]["seccomp"]["defaultAction"] = "SCMP_ACT_ALLOW";
    seccomp["linux"]["seccomp"]["flags"] = {"SECCOMP_FILTER_FLAG_TSYNC", "TSYNC"};
    CHECK(error_of(seccomp) ==
          "config.json: .linux.seccomp.flags[1]: unknown seccomp flag \"TSYNC\"");
    seccomp["linux"]["seccomp"]["flags"] = json::array();
    seccomp["linux"]["seccomp"]["syscalls"] = {
        {{"names", {"personality"}},
         {"action", "SCMP_ACT_ALLOW"},
         {"args", {{{"index", 0}, {"value", 8}, {"op", "SCMP_CMP_EQUAL"}}}}}};
    CHECK(error_of(seccomp) == "config.json: .linux.seccomp.syscalls[0].args[0].op: unknown "
                               "seccomp operator \"SCMP_CMP_EQUAL\"");
    seccomp["linux"]["seccomp"]["syscalls"][0]["args"][0]["op"] = "SCMP_CMP_EQ";
    CHECK(parse_spec(seccomp).linux.seccomp->syscalls[0].args[0].value == 8);
}

TEST_CASE("required fields are reported as missing") {
    CHECK(error_of(json::object()) == "config.json: .ociVersion: missing");
    CHECK(error_of(minimal_with({{"root", {{"path", nullptr}, {"readonly", true}}}})) ==
          "config.json: .root.path: missing");
    CHECK(error_of(minimal_with({{"process", {{"cwd", nullptr}}}})) ==
          "config.json: .process.cwd: missing");
    CHECK(error_of(minimal_with({{"mounts", {{{"type", "tmpfs"}}}}})) ==
          "config.json: .mounts[0].destination: missing");
    CHECK(error_of(minimal_with({{"process", {{"user", {{"gid", 0}}}}}})) ==
          "config.json: .process.user.uid: missing");
    CHECK(error_of(minimal_with({{"process", {{"user", {{"uid", 0}}}}}})) ==
          "config.json: .process.user.gid: missing");
    CHECK(error_of(minimal_with({{"hooks", {{"prestart", {{{"args", {"x"}}}}}}}})) ==
          "config.json: .hooks.prestart[0].path: missing");
    CHECK(error_of(minimal_with(
              {{"linux", {{"devices", {{{"type", "c"}, {"path", "/dev/x"}, {"minor", 1}}}}}}})) ==
          "config.json: .linux.devices[0].major: missing");
    // A FIFO has no device number.
    CHECK_NOTHROW(parse_spec(
        minimal_with({{"linux", {{"devices", {{{"type", "p"}, {"path", "/dev/f"}}}}}}})));
    CHECK(error_of(minimal_with({{"linux", {{"seccomp", json::object()}}}})) ==
          "config.json: .linux.seccomp.defaultAction: missing");
    // The schema makes process and root optional; parse_spec follows it (load_spec does not).
    json bare = {{"ociVersion", "1.2.0"}};
    CHECK_NOTHROW(parse_spec(bare));
}

TEST_CASE("ociVersion: SemVer, major version 1") {
    CHECK(parse_spec(minimal_with({{"ociVersion", "1.2.1"}})).oci_version == "1.2.1");
    CHECK_NOTHROW(parse_spec(minimal_with({{"ociVersion", "1.0.0-rc5+dev"}})));
    CHECK(error_of(minimal_with({{"ociVersion", "2.0.0"}})) ==
          "config.json: .ociVersion: unsupported version \"2.0.0\", rung supports 1.x");
    CHECK(error_of(minimal_with({{"ociVersion", "1.0"}})) ==
          "config.json: .ociVersion: \"1.0\" is not a SemVer version like 1.0.2");
    CHECK(error_of(minimal_with({{"ociVersion", 1}})) ==
          "config.json: .ociVersion: expected a string");
}

TEST_CASE("rules of the spec's prose") {
    CHECK(error_of(minimal_with({{"linux",
                                  {{"namespaces",
                                    {{{"type", "pid"}},
                                     {{"type", "uts"}},
                                     {{"type", "mount"}},
                                     {{"type", "pid"}}}}}}})) ==
          "config.json: .linux.namespaces[3]: duplicate namespace type \"pid\"");
    json limit = {{"type", "RLIMIT_NOFILE"}, {"soft", 1}, {"hard", 1}};
    CHECK(error_of(minimal_with({{"process", {{"rlimits", {limit, limit}}}}})) ==
          "config.json: .process.rlimits[1]: duplicate rlimit type \"RLIMIT_NOFILE\"");
    CHECK(error_of(minimal_with({{"process", {{"env", {"A=1", "B"}}}}})) ==
          "config.json: .process.env[1]: \"B\" is not of the form NAME=VALUE");
    CHECK(error_of(minimal_with({{"hooks", {{"poststop", {{{"path", "/x"}, {"env", {"X"}}}}}}}})) ==
          "config.json: .hooks.poststop[0].env[0]: \"X\" is not of the form NAME=VALUE");
    CHECK(error_of(minimal_with({{"process", {{"cwd", "home"}}}})) ==
          "config.json: .process.cwd: \"home\" is not an absolute path");
    CHECK(error_of(minimal_with({{"process", {{"args", json::array()}}}})) ==
          "config.json: .process.args: must not be empty");
    CHECK(error_of(minimal_with({{"hooks", {{"prestart", {{{"path", "hook"}}}}}}})) ==
          "config.json: .hooks.prestart[0].path: \"hook\" is not an absolute path");
    CHECK(
        error_of(minimal_with({{"hooks", {{"poststart", {{{"path", "/h"}, {"timeout", 0}}}}}}})) ==
        "config.json: .hooks.poststart[0].timeout: must be at least 1");
    CHECK(error_of(minimal_with({{"linux", {{"namespaces", {{{"type", "net"}}}}}}})) ==
          "config.json: .linux.namespaces[0].type: unknown namespace type \"net\"");
    CHECK(error_of(minimal_with(
              {{"linux", {{"namespaces", {{{"type", "network"}, {"path", "proc/1/ns/net"}}}}}}})) ==
          "config.json: .linux.namespaces[0].path: \"proc/1/ns/net\" is not an absolute path");
    CHECK(error_of(minimal_with({{"linux", {{"maskedPaths", {"/proc/kcore", "proc/keys"}}}}})) ==
          "config.json: .linux.maskedPaths[1]: \"proc/keys\" is not an absolute path");
    CHECK(error_of(minimal_with({{"annotations", {{"", "x"}}}})) ==
          "config.json: .annotations: empty key");
    CHECK(error_of(minimal_with({{"root", {{"path", ""}}}})) ==
          "config.json: .root.path: must not be empty");
    json idmap = {{{"containerID", 0}, {"hostID", 1000}, {"size", 1}}};
    CHECK(error_of(minimal_with({{"mounts", {{{"destination", "/d"}, {"uidMappings", idmap}}}}})) ==
          "config.json: .mounts[0].uidMappings: needs gidMappings too");
    CHECK(error_of(minimal_with(
              {{"linux",
                {{"resources",
                  {{"blockIO", {{"weightDevice", {{{"major", 8}, {"minor", 0}}}}}}}}}}})) ==
          "config.json: .linux.resources.blockIO.weightDevice[0]: needs weight or leafWeight");
    CHECK(error_of(
              minimal_with({{"linux", {{"resources", {{"rdma", {{"mlx", json::object()}}}}}}}})) ==
          "config.json: .linux.resources.rdma.mlx: needs hcaHandles or hcaObjects");
    CHECK(error_of(minimal_with(
              {{"linux",
                {{"seccomp", {{"defaultAction", "SCMP_ACT_ALLOW"}, {"defaultErrnoRet", 1}}}}}})) ==
          "config.json: .linux.seccomp.defaultErrnoRet: SCMP_ACT_ALLOW does not return an errno");
    CHECK(
        error_of(minimal_with(
            {{"linux",
              {{"seccomp", {{"defaultAction", "SCMP_ACT_ALLOW"}, {"listenerMetadata", "m"}}}}}})) ==
        "config.json: .linux.seccomp.listenerMetadata: needs listenerPath");
    CHECK(error_of(minimal_with(
              {{"linux",
                {{"seccomp",
                  {{"defaultAction", "SCMP_ACT_ALLOW"},
                   {"syscalls", {{{"names", json::array()}, {"action", "SCMP_ACT_LOG"}}}}}}}}})) ==
          "config.json: .linux.seccomp.syscalls[0].names: must not be empty");
}

TEST_CASE("a relative mount destination is taken from / (config.md, deprecated but allowed)") {
    Spec s = parse_spec(
        minimal_with({{"mounts", {{{"destination", "data"}}, {{"destination", "/t"}}}}}));
    CHECK(s.mounts[0].destination == "/data");
    CHECK(s.mounts[1].destination == "/t");
    CHECK(error_of(minimal_with({{"mounts", {{{"destination", ""}}}}})) ==
          "config.json: .mounts[0].destination: must not be empty");
}

TEST_CASE("null is the same as absent, as Go's encoding/json writes it") {
    Spec s = parse_spec(minimal_with({{"hostname", nullptr}}));
    CHECK(s.hostname.empty());
    json j = minimal_with();
    j["mounts"] = nullptr;
    j["linux"] = {{"namespaces", nullptr}, {"resources", nullptr}};
    Spec t = parse_spec(j);
    CHECK(t.mounts.empty());
    CHECK_FALSE(t.linux.resources.has_value());
    CHECK(t.unknown_properties.empty());
}

TEST_CASE("unknown properties are collected, not errors") {
    json j = minimal_with({{"futureThing", 1},
                           {"io.example-x", {{"a", 1}}},
                           {"process", {{"bar", true}}},
                           {"linux", {{"resources", {{"memory", {{"weird", 1}}}}}}}});
    Spec s = parse_spec(j);
    auto unknown = s.unknown_properties;
    std::sort(unknown.begin(), unknown.end());
    CHECK(unknown == std::vector<std::string>{".[\"io.example-x\"]", ".futureThing",
                                              ".linux.resources.memory.weird", ".process.bar"});
    std::string line = describe_unknown(s);
    CHECK(line.starts_with("config.json: ignoring unknown properties: "));
    CHECK(line.find(".process.bar") != std::string::npos);
    CHECK(describe_unknown(parse_spec(minimal_with())).empty());
}

// ---- load_spec: the file in the bundle ----

TEST_CASE("load_spec reads <bundle>/config.json and makes root.path absolute") {
    TempDir bundle;
    write_config(bundle, minimal_with({{"root", {{"path", "./rootfs/"}}}}));
    Spec s = load_spec(bundle.path);
    CHECK(s.root.path == bundle.path + "/rootfs"); // need not exist yet
    CHECK(s.process.args == std::vector<std::string>{"sh"});

    // A relative bundle is taken from the working directory, once.
    char cwd[4096];
    REQUIRE(::getcwd(cwd, sizeof cwd) != nullptr);
    REQUIRE(::chdir(fs::path(bundle.path).parent_path().c_str()) == 0);
    Spec r = load_spec(fs::path(bundle.path).filename().string());
    REQUIRE(::chdir(cwd) == 0);
    CHECK(r.root.path == bundle.path + "/rootfs");

    write_config(bundle, minimal_with({{"root", {{"path", "/srv/root"}}}}));
    CHECK(load_spec(bundle.path).root.path == "/srv/root");
}

TEST_CASE("load_spec: a relative bind source is relative to the bundle, nothing else is") {
    TempDir bundle;
    json mounts = json::array({
        {{"destination", "/a"}, {"source", "data"}, {"options", {"bind"}}},
        {{"destination", "/b"}, {"source", "./x/../y"}, {"options", {"rbind", "ro"}}},
        {{"destination", "/c"}, {"source", "/abs"}, {"options", {"bind"}}},
        {{"destination", "/d"}, {"type", "tmpfs"}, {"source", "tmpfs"}},
    });
    write_config(bundle, minimal_with({{"mounts", mounts}}));
    Spec s = load_spec(bundle.path);
    CHECK(s.mounts[0].source == bundle.path + "/data");
    CHECK(s.mounts[1].source == bundle.path + "/y");
    CHECK(s.mounts[2].source == "/abs");
    CHECK(s.mounts[3].source == "tmpfs"); // a device name, not a path
}

TEST_CASE("load_spec requires process.args with a command") {
    TempDir bundle;
    json j = minimal_with();
    j["process"].erase("args");
    write_config(bundle, j);
    CHECK_THROWS_WITH_AS(load_spec(bundle.path), "config.json: .process.args: missing", Error);
    write_config(bundle, minimal_with({{"process", {{"args", {""}}}}}));
    CHECK_THROWS_WITH_AS(load_spec(bundle.path),
                         doctest::Contains(".process.args[0]: the command must not be empty"),
                         Error);
}

TEST_CASE("load_spec requires process and root, which rung needs to run") {
    TempDir bundle;
    json j = minimal_with();
    j.erase("process");
    write_config(bundle, j);
    CHECK_THROWS_WITH_AS(load_spec(bundle.path), "config.json: .process: missing", Error);
    j = minimal_with();
    j.erase("root");
    write_config(bundle, j);
    CHECK_THROWS_WITH_AS(load_spec(bundle.path), "config.json: .root: missing", Error);
    write_config(bundle, minimal_with({{"ociVersion", "2.0.0"}}));
    CHECK_THROWS_WITH_AS(load_spec(bundle.path),
                         "config.json: .ociVersion: unsupported version \"2.0.0\", rung supports "
                         "1.x",
                         Error);
    fs::remove(bundle.path + "/config.json");
    try {
        load_spec(bundle.path);
        FAIL("no error");
    } catch (const Error& e) {
        CHECK(std::string(e.what()).starts_with("config.json: cannot read "));
        CHECK(e.err() == ENOENT);
    }
}
