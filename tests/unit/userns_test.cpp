// Phase 5's user namespace logic that needs no root: the host id a container id maps to, the
// text of a map file, the checks preflight makes of linux.uidMappings and gidMappings, and
// `spec --rootless`.
#include "namespaces.hpp"
#include "rung/error.hpp"
#include "spec.hpp"
#include "userns.hpp"

#include <doctest/doctest.h>
#include <unistd.h>

using namespace rung;

namespace {

// A config with a new user namespace mapping 0..65535 to 100000.., changed by `edit`.
Spec userns_spec(const json& edit = json::object()) {
    json j = json::parse(R"({
        "ociVersion": "1.2.0",
        "root": {"path": "rootfs"},
        "process": {"args": ["sh"], "cwd": "/", "user": {"uid": 0, "gid": 0}},
        "linux": {"namespaces": [{"type": "mount"}, {"type": "user"}],
                  "uidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}],
                  "gidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}]}
    })");
    j.merge_patch(edit);
    return parse_spec(j);
}

std::string check_error(const Spec& s) {
    try {
        check_user_namespace(s, plan_namespaces(s.linux.namespaces));
    } catch (const Error& e) {
        return e.what();
    }
    return "no error";
}

} // namespace

TEST_CASE("host_id_of: the range that covers the id, none outside every range") {
    std::vector<IdMapping> maps = {{0, 100000, 1000}, {1000, 300000, 10}};
    CHECK(host_id_of(maps, 0) == 100000u);
    CHECK(host_id_of(maps, 999) == 100999u);
    CHECK(host_id_of(maps, 1005) == 300005u);
    CHECK_FALSE(host_id_of(maps, 1010));
    CHECK(map_text(maps) == "0 100000 1000\n1000 300000 10\n");
}

TEST_CASE("check_user_namespace: what the kernel would refuse is said in words") {
    CHECK(check_error(userns_spec()) == "no error");
    json two = json::array({{{"containerID", 0}, {"hostID", 100000}, {"size", 10}},
                            {{"containerID", 5}, {"hostID", 200000}, {"size", 10}}});
    CHECK(check_error(userns_spec({{"linux", {{"uidMappings", two}}}})) ==
          "config.json: .linux.uidMappings[1]: overlaps [0] on the container side: the kernel "
          "takes no id twice");
    two[1]["containerID"] = 10;
    two[1]["hostID"] = 100005;
    CHECK(check_error(userns_spec({{"linux", {{"gidMappings", two}}}})) ==
          "config.json: .linux.gidMappings[1]: overlaps [0] on the host side: the kernel takes "
          "no id twice");
    // The last id a range may cover is 4294967294: 4294967295 is -1.
    json end = json::array({{{"containerID", 0}, {"hostID", 4294967285u}, {"size", 10}}});
    CHECK(check_error(userns_spec({{"linux", {{"uidMappings", end}}}})) == "no error");
    end[0]["size"] = 11;
    CHECK(check_error(userns_spec({{"linux", {{"uidMappings", end}}}})) ==
          "config.json: .linux.uidMappings[0]: the range runs past 4294967294");
    CHECK(check_error(userns_spec({{"process", {{"user", {{"uid", 70000}, {"gid", 0}}}}}})) ==
          "config.json: process.user.uid 70000 is not mapped by .linux.uidMappings");
    json no_root = json::array({{{"containerID", 1}, {"hostID", 100000}, {"size", 10}}});
    CHECK(check_error(userns_spec({{"linux", {{"gidMappings", no_root}}}})) ==
          "config.json: gid 0 (the container's root) is not mapped by .linux.gidMappings");
}

TEST_CASE("check_user_namespace: maps and a new user namespace go together") {
    CHECK(check_error(userns_spec({{"linux", {{"uidMappings", nullptr}}}})) ==
          "config.json: .linux.uidMappings: a new user namespace needs uid and gid mappings");
    CHECK(check_error(userns_spec({{"linux", {{"namespaces", {{{"type", "mount"}}}}}}})) ==
          "config.json: .linux.uidMappings needs a user namespace, and linux.namespaces has no "
          "\"user\"");
}

TEST_CASE("make_rootless: runc's rootless config for the caller") {
    json c = default_config();
    make_rootless(c);
    json types = json::array();
    for (const auto& ns : c["linux"]["namespaces"])
        types.push_back(ns["type"]);
    CHECK(types == json({"pid", "ipc", "uts", "mount", "cgroup", "user"}));
    CHECK(c["linux"]["uidMappings"] ==
          json::parse("[{\"containerID\": 0, \"hostID\": " + std::to_string(::geteuid()) +
                      ", \"size\": 1}]"));
    CHECK_FALSE(c["linux"].contains("resources"));
    for (const auto& m : c["mounts"]) {
        if (m["destination"] == "/sys")
            CHECK(m["options"] == json({"rbind", "nosuid", "noexec", "nodev", "ro"}));
        for (const auto& o : m["options"])
            CHECK_FALSE(o.get<std::string>().starts_with("gid="));
    }
    // It is a config this phase accepts.
    CHECK_NOTHROW(parse_spec(c));
}
