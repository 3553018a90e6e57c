// The lifecycle's pure logic (phase 2 on), built against each phase's own sources: container IDs,
// /proc/PID/stat, the derived status, state.json, and reading config.json.
// RUNG_LIFECYCLE_PHASE is the phase under test.
#include "rung/error.hpp"
#include "rung/file.hpp"
#include "spec.hpp"
#include "state.hpp"
#include "temp_dir.hpp"

#include <csignal>
#include <cstdlib>
#include <doctest/doctest.h>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

using namespace rung;

TEST_CASE("container IDs: the allowed alphabet, and every kind of bad ID named") {
    for (const char* ok : {"a", "A9", "web-1", "x_y.z+w", "0", "abc..def"})
        CHECK_NOTHROW(validate_id(ok));
    // The ID names its state directory: NAME_MAX (255) bytes fit, 256 would fail at mkdir.
    CHECK_NOTHROW(validate_id(std::string(255, 'a')));

    CHECK_THROWS_WITH_AS(validate_id(""), "container ID must not be empty", Error);
    CHECK_THROWS_WITH_AS(validate_id(std::string(256, 'a')),
                         "container ID is 256 bytes long (at most 255)", Error);
    for (const char* bad : {"/", "..", ".", "a/b", "../x", "-x", "_x", ".hidden", "a b", "a\tb",
                            "a\nb", "caf\xc3\xa9", "a*", "a:b"}) {
        CAPTURE(bad);
        CHECK_THROWS_WITH_AS(validate_id(bad), doctest::Contains("is not valid"), Error);
    }
    // Control characters are escaped in the message: it stays one line.
    CHECK_THROWS_WITH_AS(validate_id("a\nb"), doctest::Contains("\"a\\x0ab\""), Error);
}

TEST_CASE("/proc/PID/stat: state and start time, whatever the command name holds") {
    // Fields 1-22 of a real line; the start time is 98765.
    std::string tail =
        " S 1 100 100 0 -1 4194560 300 0 0 0 1 2 0 0 20 0 1 0 98765 1000 200 18446744073709551615";
    ProcStat st = parse_proc_stat("42 (sleep)" + tail);
    CHECK(st.state == 'S');
    CHECK(st.start_time == 98765);
    // comm may hold spaces and parentheses: only the last ')' ends it.
    st = parse_proc_stat("42 (a) (b) Z 9 9 9 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 555 1 1 1"
                         "\n");
    CHECK(st.state == 'Z');
    CHECK(st.start_time == 555);
    st = parse_proc_stat("7 (x) y)" + tail);
    CHECK(st.start_time == 98765);

    CHECK_THROWS_AS(parse_proc_stat(""), Error);
    CHECK_THROWS_AS(parse_proc_stat("42 sleep S 1"), Error);
    CHECK_THROWS_AS(parse_proc_stat("42 (sleep) S 1 100"), Error);
    CHECK_THROWS_AS(parse_proc_stat("42 (sleep) S 1 100 100 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 x1"),
                    Error);

    // Our own process: alive, and its start time does not change between reads.
    auto self = read_proc_stat(::getpid());
    REQUIRE(self);
    CHECK(self->state == 'R');
    CHECK(self->start_time == read_proc_stat(::getpid())->start_time);
    CHECK_FALSE(read_proc_stat(0x3fffffff)); // beyond pid_max
}

TEST_CASE("status: created until start, running until exit, stopped after, or if pid reused") {
    ProcStat alive{'S', 100};
    CHECK(derive_status(alive, 100, true) == Status::created);
    CHECK(derive_status(alive, 100, false) == Status::running);
    CHECK(derive_status(std::nullopt, 100, true) == Status::stopped);
    CHECK(derive_status(std::nullopt, 100, false) == Status::stopped);
    CHECK(derive_status(ProcStat{'S', 101}, 100, false) == Status::stopped); // another process
    CHECK(derive_status(ProcStat{'Z', 100}, 100, false) == Status::stopped); // exited, unreaped
    CHECK(derive_status(ProcStat{'X', 100}, 100, true) == Status::stopped);
    CHECK(std::string(status_name(Status::created)) == "created");
    CHECK(std::string(status_name(Status::running)) == "running");
    CHECK(std::string(status_name(Status::stopped)) == "stopped");
}

TEST_CASE("state.json round-trips; the OCI state adds status and hides a dead pid") {
    State s;
    s.id = "web";
    s.pid = 1234;
    s.start_time = 987654321012ULL;
    s.bundle = "/b";
    s.annotations = {{"com.example.k", "v"}};
    s.created = "2024-01-02T03:04:05.000000006Z";
    s.owner = "root";
    State back = state_from_json(json::parse(state_to_json(s).dump()));
    CHECK(back.id == s.id);
    CHECK(back.pid == s.pid);
    CHECK(back.start_time == s.start_time);
    CHECK(back.bundle == s.bundle);
    CHECK(back.annotations == s.annotations);
    CHECK(back.created == s.created);
    CHECK(back.owner == s.owner);
    CHECK(back.oci_version == kOciVersion);

    auto running = oci_state(s, Status::running);
    CHECK(running["status"] == "running");
    CHECK(running["pid"] == 1234);
    CHECK(running["bundle"] == "/b");
    CHECK(running["annotations"]["com.example.k"] == "v");
    CHECK(oci_state(s, Status::stopped)["pid"] == 0);

#if RUNG_LIFECYCLE_PHASE >= 4
    // The cgroup, and what create made for it: what delete removes, and nothing else.
    s.cgroup = "/k/pod/web";
    s.cgroups_created = {"/k/pod", "/k/pod/web"};
    json j = state_to_json(s);
    CHECK(j["cgroupPath"] == "/k/pod/web");
    CHECK(j["cgroupsCreated"] == json{"/k/pod", "/k/pod/web"});
    back = state_from_json(json::parse(j.dump()));
    CHECK(back.cgroup == s.cgroup);
    CHECK(back.cgroups_created == s.cgroups_created);
    CHECK(oci_state(s, Status::paused)["status"] == "paused");
#endif

    json broken = json::parse(state_to_json(s).dump());
    broken.erase("pid");
    CHECK_THROWS_WITH_AS(state_from_json(broken), doctest::Contains("state.json"), Error);
}

TEST_CASE("the state directory: one create per ID, lookups, removal, listing") {
    TempDir root;
    {
        ContainerDir dir = ContainerDir::create(root.path, "c1");
        CHECK(dir.path() == root.path + "/c1");
        CHECK_THROWS_WITH_AS(ContainerDir::create(root.path, "c1"),
                             "container \"c1\" already exists", Error);
        // No state.json yet (a create in progress, or one that was killed): a container with
        // no process, stopped, that another process holds locked while the create runs.
        CHECK(dir.read_state().id == "c1");
        CHECK(dir.read_state().pid == 0);
        CHECK(dir.status(dir.read_state()) == Status::stopped);
        CHECK(ContainerDir::open(root.path, "c1", ContainerDir::Lock::none).locked_by_another());
        CHECK_FALSE(ContainerDir::find(root.path, "nope", ContainerDir::Lock::none));
        State s;
        s.id = "c1";
        s.pid = ::getpid();
        s.start_time = read_proc_stat(::getpid())->start_time;
        dir.write_state(s);
        CHECK(dir.read_state().pid == ::getpid());
        CHECK(dir.status(dir.read_state()) == Status::running);
        write_file(dir.fifo_path(), "");
        CHECK(dir.status(dir.read_state()) == Status::created);
        s.start_time += 1; // as if the pid had been reused
        dir.write_state(s);
        CHECK(dir.status(dir.read_state()) == Status::stopped);
        CHECK_FALSE(open_init(dir.read_state()));
    }
    ContainerDir::create(root.path, "c2");
    ::mkdir((root.path + "/not valid").c_str(), 0700);
    write_file(root.path + "/file", "");
    CHECK(list_ids(root.path) == std::vector<std::string>{"c1", "c2"});
    CHECK(list_ids(root.path + "/absent").empty());

    ContainerDir c1 = ContainerDir::open(root.path, "c1", ContainerDir::Lock::exclusive);
    c1.remove();
    CHECK_FALSE(path_exists(root.path + "/c1"));
    CHECK_THROWS_WITH_AS(ContainerDir::open(root.path, "c1", ContainerDir::Lock::shared),
                         "container \"c1\" does not exist", Error);
    CHECK_THROWS_WITH_AS(ContainerDir::open(root.path, "..", ContainerDir::Lock::shared),
                         doctest::Contains("is not valid"), Error);
}

TEST_CASE("open_init finds a live process by pid and start time") {
    State s;
    s.pid = ::getpid();
    s.start_time = read_proc_stat(::getpid())->start_time;
    CHECK(open_init(s));
    s.pid = 0;
    CHECK_FALSE(open_init(s));
}

// Phase 2's own small config reader. From phase 3 on spec.cpp is the full typed model, and
// spec_test.cpp checks it.
#if RUNG_LIFECYCLE_PHASE == 2
namespace {

// A bundle whose config.json is `config` (a rootfs is not needed to read it).
struct Bundle : TempDir {
    explicit Bundle(const json& config) { write_file(path + "/config.json", config.dump()); }
};

json minimal_config() {
    return json::parse(R"({
        "ociVersion": "1.2.0",
        "root": {"path": "rootfs"},
        "process": {"args": ["sh"], "cwd": "/", "env": ["PATH=/bin", "A=b=c"]}
    })");
}

std::string load_error(const json& config) {
    Bundle b(config);
    try {
        load_spec(b.path);
    } catch (const Error& e) {
        return e.what();
    }
    return "no error";
}

} // namespace

TEST_CASE("config.json: the fields phase 2 reads, exactly as written") {
    json config = minimal_config();
    config["hostname"] = "box";
    config["annotations"] = {{"com.example.a", "1"}};
    Bundle b(config);
    Spec spec = load_spec(b.path);
    CHECK(spec.oci_version == "1.2.0");
    CHECK(spec.root.path == "rootfs");
    CHECK_FALSE(spec.root.readonly);
    CHECK(spec.process.args == std::vector<std::string>{"sh"});
    CHECK(spec.process.env == std::vector<std::string>{"PATH=/bin", "A=b=c"});
    CHECK(spec.process.cwd == "/");
    CHECK(spec.hostname == "box");
    CHECK(spec.annotations.at("com.example.a") == "1");
}

TEST_CASE("config.json errors name the file and the field") {
    TempDir empty;
    CHECK_THROWS_WITH_AS(load_spec(empty.path), doctest::Contains("config.json: cannot read"),
                         Error);

    auto without = [](const char* pointer) {
        json c = minimal_config();
        json::json_pointer p(pointer);
        c[p.parent_pointer()].erase(p.back());
        return c;
    };
    CHECK(load_error(without("/process/args")) == "config.json: process.args: missing");
    CHECK(load_error(without("/process")) == "config.json: process: missing");
    CHECK(load_error(without("/process/cwd")) == "config.json: process.cwd: missing");
    CHECK(load_error(without("/root")) == "config.json: root: missing");
    CHECK(load_error(without("/root/path")) == "config.json: root.path: missing");
    CHECK(load_error(without("/ociVersion")) == "config.json: ociVersion: missing");

    json c = minimal_config();
    c["process"]["args"] = json::array();
    CHECK(load_error(c) == "config.json: process.args: must name a command (it is empty)");
    c["process"]["args"] = {"sh", 1};
    CHECK(load_error(c) == "config.json: process.args: must be an array of strings");
    c = minimal_config();
    c["process"]["cwd"] = "tmp";
    CHECK(load_error(c) == "config.json: process.cwd: \"tmp\" is not an absolute path");
    c = minimal_config();
    c["process"]["env"] = "PATH=/bin";
    CHECK(load_error(c) == "config.json: process.env: must be an array of strings");
    c = minimal_config();
    c["hostname"] = 7;
    CHECK(load_error(c) == "config.json: hostname: must be a string");
    c = minimal_config();
    c["ociVersion"] = "2.0.0";
    CHECK(load_error(c) == "config.json: ociVersion: \"2.0.0\" is not supported (rung implements "
                           "1.x)");
    c = minimal_config();
    c["annotations"] = {{"k", 1}};
    CHECK(load_error(c) == "config.json: annotations.k: must be a string");
    CHECK(load_error(json::array()) == "config.json: must hold a JSON object");
}

TEST_CASE("null is absent: an optional field may be null, a required one is then missing") {
    json c = minimal_config();
    c["process"]["env"] = nullptr;
    c["hostname"] = nullptr;
    c["annotations"] = nullptr;
    c["root"]["readonly"] = nullptr;
    Bundle b(c);
    Spec s = load_spec(b.path);
    CHECK(s.process.env.empty());
    CHECK(s.hostname.empty());
    c["process"]["cwd"] = nullptr;
    CHECK(load_error(c) == "config.json: process.cwd: missing");
    c = minimal_config();
    c["root"] = nullptr;
    CHECK(load_error(c) == "config.json: root: missing");
}

TEST_CASE("not applied yet: one line, grouped by the phase that adds each property") {
    json c = minimal_config();
    CHECK(not_applied(c) == "");
    // Default values ask for nothing phase 2 does not already do; unknown properties are ignored.
    c["process"]["terminal"] = false;
    c["process"]["user"] = {{"uid", 0}, {"gid", 0}};
    c["linux"]["resources"] = json::object();
    c["com.example.extension"] = {{"x", 1}};
    CHECK(not_applied(c) == "");

    c["mounts"] = {{{"destination", "/proc"}, {"type", "proc"}, {"source", "proc"}}};
    c["linux"]["namespaces"] = {{{"type", "pid"}}};
    c["linux"]["resources"] = {{"pids", {{"limit", 10}}}};
    c["process"]["capabilities"] = {{"bounding", {"CAP_KILL"}}};
    c["linux"]["seccomp"] = {{"defaultAction", "SCMP_ACT_ALLOW"}};
    std::string expected;
#if RUNG_LIFECYCLE_PHASE < 3
    expected += "mounts, linux.namespaces (phase 3); ";
#endif
#if RUNG_LIFECYCLE_PHASE < 4
    expected += "linux.resources (phase 4); ";
#endif
#if RUNG_LIFECYCLE_PHASE < 5
    expected += "process.capabilities, linux.seccomp (phase 5)";
#endif
    if (expected.ends_with("; ")) expected.resize(expected.size() - 2);
    CHECK(not_applied(c) == expected);
}
#endif
