// Phase 5's linux.seccomp: the profile translated for libseccomp and compiled to BPF (seccomp.cpp),
// the cache of compiled filters (seccomp_cache.cpp), and `rung spec`'s default profile
// (seccomp_default.cpp). Compiling touches no kernel, so no root is needed.
#include "rung/error.hpp"
#include "rung/file.hpp"
#include "seccomp.hpp"
#include "spec.hpp"
#include "temp_dir.hpp"

#include <linux/seccomp.h>
#include <seccomp.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <doctest/doctest.h>
#include <filesystem>
#include <set>

using namespace rung;

namespace {

// A config.json around `seccomp`, parsed: the seccomp model as spec.cpp builds it.
Seccomp profile(const char* seccomp) {
    json j = json::parse(R"({"ociVersion": "1.2.0", "process": {"args": ["sh"], "cwd": "/",
                           "user": {"uid": 0, "gid": 0}}, "root": {"path": "rootfs"},
                           "linux": {"seccomp": )" +
                         std::string(seccomp) + "}}");
    return *parse_spec(j).linux.seccomp;
}

std::string compile_error(const char* seccomp) {
    Seccomp p = profile(seccomp);
    try {
        seccomp::Filter f(p);
    } catch (const Error& e) {
        return e.what();
    }
    return "";
}

} // namespace

TEST_CASE("seccomp: every action, operator and architecture of the spec compiles") {
    for (const char* action :
         {"SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP",
          "SCMP_ACT_ERRNO", "SCMP_ACT_TRACE", "SCMP_ACT_LOG"}) {
        CAPTURE(action);
        std::string p = R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir"],
                            "action": ")" +
                        std::string(action) + "\"}]}";
        CHECK(compile_error(p.c_str()) == "");
    }
    for (const char* op : {"SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_EQ",
                           "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ"}) {
        CAPTURE(op);
        std::string p =
            R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["personality"],
            "action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "value": 8, "valueTwo": 8, "op": ")" +
            std::string(op) + "\"}]}]}";
        CHECK(compile_error(p.c_str()) == "");
    }
    CHECK(compile_error(R"({"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64",
        "SCMP_ARCH_X86", "SCMP_ARCH_X32", "SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"]})") == "");
}

TEST_CASE("seccomp: a name no architecture knows is an error naming it") {
    CHECK(compile_error(R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
              {"names": ["mkdir"], "action": "SCMP_ACT_ERRNO"},
              {"names": ["getpid", "mkdri"], "action": "SCMP_ACT_ERRNO"}]})")
              .starts_with(".linux.seccomp.syscalls[1].names[1]: unknown system call \"mkdri\""));
    // Another architecture's call (x86's socketcall, arm's cacheflush) is not an error.
    CHECK(compile_error(R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
              {"names": ["socketcall", "cacheflush"], "action": "SCMP_ACT_ERRNO"}]})") == "");
}

TEST_CASE("seccomp: what libseccomp cannot do fails at compile, naming the field") {
    CHECK(compile_error(R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir"],
              "action": "SCMP_ACT_NOTIFY"}]})") ==
          ".linux.seccomp: SCMP_ACT_NOTIFY needs listenerPath: nobody would answer the calls");
    CHECK(compile_error(R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir"],
              "action": "SCMP_ACT_ERRNO", "args": [{"index": 6, "value": 1, "op": "SCMP_CMP_EQ"}]}]})")
              .starts_with(".linux.seccomp.syscalls[0].args[0]: index 6"));
    // rung sends the notify fd with sendmsg after the load: notifying sendmsg would hang.
    CHECK(
        compile_error(R"({"defaultAction": "SCMP_ACT_NOTIFY", "listenerPath": "/a.sock"})")
            .starts_with(".linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot apply to sendmsg"));
    CHECK(compile_error(R"({"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": "/a.sock",
              "syscalls": [{"names": ["mkdir", "sendmsg"], "action": "SCMP_ACT_NOTIFY"}]})")
              .starts_with(".linux.seccomp.syscalls[0].names[1]: SCMP_ACT_NOTIFY cannot apply"));
    // A rule with the default action changes nothing: skipped, not refused.
    CHECK(compile_error(R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir"],
              "action": "SCMP_ACT_ALLOW"}]})") == "");
}

TEST_CASE("seccomp: a flag this libseccomp cannot set is an error naming it") {
    std::string err = compile_error(R"({"defaultAction": "SCMP_ACT_ALLOW",
        "flags": ["SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"]})");
#if SCMP_VER_MAJOR == 2 && SCMP_VER_MINOR < 6
    CHECK(err.starts_with(".linux.seccomp.flags[0]: \"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV\": "
                          "libseccomp 2."));
#else
    CHECK(err == "");
#endif
}

TEST_CASE("seccomp: rung spec's default profile compiles and keeps the dangerous calls out") {
    json config = default_config();
    // Found by make test-asan: built with clang, `args: {arg(...)}` was the object, not an array
    // of it (a braced single json is copied by clang, wrapped by g++), and `rung spec` wrote a
    // config that its own create refused.
    for (const json& rule : config["linux"]["seccomp"]["syscalls"])
        if (rule.contains("args")) CHECK_MESSAGE(rule["args"].is_array(), rule.dump());
    Seccomp p = *parse_spec(config).linux.seccomp;
    CHECK(p.default_action == "SCMP_ACT_ERRNO");
    CHECK_NOTHROW(seccomp::Filter{p});
    std::set<std::string> allowed;
    for (const auto& s : p.syscalls)
        if (s.action == "SCMP_ACT_ALLOW" && s.args.empty())
            allowed.insert(s.names.begin(), s.names.end());
    for (const char* name : {"execve", "read", "write", "openat", "mkdir", "wait4", "exit_group"})
        CHECK_MESSAGE(allowed.count(name), name);
    for (const char* name : {"mount", "umount2", "unshare", "setns", "keyctl", "add_key", "bpf",
                             "pivot_root", "open_by_handle_at", "clone", "clone3", "fsopen",
                             "init_module", "kexec_load", "reboot", "userfaultfd"})
        CHECK_MESSAGE(!allowed.count(name), name);
}

// ---- The program, its flags, and the cache of compiled filters (seccomp_cache.cpp) ----

namespace {

const char* kDenyMkdir = R"({"defaultAction": "SCMP_ACT_ALLOW",
    "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_ERRNO"}]})";
const char* kDenyRmdir = R"({"defaultAction": "SCMP_ACT_ALLOW",
    "syscalls": [{"names": ["rmdir"], "action": "SCMP_ACT_ERRNO"}]})";

bool same_program(const seccomp::Program& a, const seccomp::Program& b) {
    return a.flags == b.flags && a.insns.size() == b.insns.size() &&
           std::memcmp(a.insns.data(), b.insns.data(), a.insns.size() * sizeof(sock_filter)) == 0;
}

std::vector<std::string> entries(const std::string& dir) {
    std::vector<std::string> names;
    for (const auto& e : std::filesystem::directory_iterator(dir))
        names.push_back(e.path().filename());
    return names;
}

mode_t mode_of(const std::string& path) {
    struct stat st {};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    return st.st_mode & 07777;
}

} // namespace

TEST_CASE("seccomp: the program carries seccomp(2)'s flags as the profile and its rules ask") {
    CHECK(seccomp::Filter(profile(kDenyMkdir)).program().flags == 0);
    CHECK_FALSE(seccomp::Filter(profile(kDenyMkdir)).program().insns.empty());
    Seccomp p = profile(R"({"defaultAction": "SCMP_ACT_ALLOW", "flags": [
        "SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW"],
        "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_ERRNO"}]})");
    CHECK(seccomp::Filter(p).program().flags ==
          (SECCOMP_FILTER_FLAG_TSYNC | SECCOMP_FILTER_FLAG_LOG | SECCOMP_FILTER_FLAG_SPEC_ALLOW));
    if (::seccomp_api_get() >= 5) {
        Seccomp n = profile(R"({"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": "/a.sock",
            "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_NOTIFY"}]})");
        CHECK(seccomp::Filter(n).program().flags == SECCOMP_FILTER_FLAG_NEW_LISTENER);
        n.flags = {"SECCOMP_FILTER_FLAG_TSYNC"}; // as libseccomp: TSYNC_ESRCH, so the fd returns
        CHECK(seccomp::Filter(n).program().flags ==
              (SECCOMP_FILTER_FLAG_NEW_LISTENER | SECCOMP_FILTER_FLAG_TSYNC |
               SECCOMP_FILTER_FLAG_TSYNC_ESRCH));
    }
}

TEST_CASE("seccomp cache: the key follows the profile, and names its file") {
    auto key = seccomp::cache_key(profile(kDenyMkdir));
    REQUIRE(key);
    CHECK(seccomp::cache_key(profile(kDenyMkdir)) == key);
    CHECK(seccomp::cache_key(profile(kDenyRmdir)) != key);
    Seccomp errno_ret = profile(kDenyMkdir);
    errno_ret.syscalls[0].errno_ret = 13;
    CHECK(seccomp::cache_key(errno_ret) != key);
    Seccomp flagged = profile(kDenyMkdir);
    flagged.flags = {"SECCOMP_FILTER_FLAG_LOG"};
    CHECK(seccomp::cache_key(flagged) != key);
    // What the program depends on besides the profile is in the key too.
    json k = json::parse(*key);
    CHECK(k.contains("libseccomp"));
    CHECK(k["api"] == ::seccomp_api_get());
    CHECK(k["arch"] == ::seccomp_arch_native());
    CHECK_FALSE(k["kernel"].get<std::string>().empty());
    CHECK(seccomp::entry_name(*key).size() == 16);
    CHECK(seccomp::entry_name(*key) !=
          seccomp::entry_name(*seccomp::cache_key(profile(kDenyRmdir))));
}

TEST_CASE("seccomp cache: an entry round-trips; a short, corrupt or other-keyed one is a miss") {
    std::string key = *seccomp::cache_key(profile(kDenyMkdir));
    seccomp::Program program = seccomp::Filter(profile(kDenyMkdir)).program();
    program.flags = SECCOMP_FILTER_FLAG_LOG;
    std::string entry = seccomp::encode_entry(key, program);
    auto back = seccomp::decode_entry(entry, key);
    REQUIRE(back);
    CHECK(same_program(*back, program));
    CHECK_FALSE(seccomp::decode_entry("", key));
    CHECK_FALSE(seccomp::decode_entry(entry.substr(0, entry.size() - 1), key)); // short
    CHECK_FALSE(seccomp::decode_entry(entry + "x", key));                       // trailing bytes
    CHECK_FALSE(seccomp::decode_entry(entry.substr(0, 30), key));
    std::string bad_magic = entry;
    bad_magic[0] = 'R';
    CHECK_FALSE(seccomp::decode_entry(bad_magic, key));
    // The same hash (the file name) is not enough: the key bytes must be the same.
    std::string other = key;
    other[other.size() / 2] ^= 1;
    CHECK_FALSE(seccomp::decode_entry(entry, other));
    CHECK_FALSE(seccomp::decode_entry(seccomp::encode_entry(other, program), key));
    CHECK_FALSE(seccomp::decode_entry(seccomp::encode_entry(key + " ", program), key));
}

TEST_CASE("seccomp cache: a miss compiles and writes the entry, a hit reads it back") {
    TempDir root;
    std::string dir = root.path + "/.seccomp";
    std::string name = seccomp::entry_name(*seccomp::cache_key(profile(kDenyMkdir)));
    seccomp::Program compiled = seccomp::cached_filter(profile(kDenyMkdir), root.path).program();
    CHECK(entries(dir) == std::vector<std::string>{name});
    CHECK(mode_of(dir) == 0700);
    CHECK(mode_of(dir + "/" + name) == 0600);
    CHECK(same_program(seccomp::cached_filter(profile(kDenyMkdir), root.path).program(), compiled));
    CHECK(same_program(seccomp::Filter(profile(kDenyMkdir)).program(), compiled));

    // An entry under the right name with another key's bytes (a collision) is not used: the
    // profile is compiled again and the entry rewritten.
    std::string rmdir_key = *seccomp::cache_key(profile(kDenyRmdir));
    seccomp::Program rmdir_program = seccomp::Filter(profile(kDenyRmdir)).program();
    REQUIRE_FALSE(same_program(rmdir_program, compiled));
    write_file(dir + "/" + name, seccomp::encode_entry(rmdir_key, rmdir_program), 0600);
    CHECK(same_program(seccomp::cached_filter(profile(kDenyMkdir), root.path).program(), compiled));
    CHECK(seccomp::decode_entry(read_file(dir + "/" + name),
                                *seccomp::cache_key(profile(kDenyMkdir))));
    // Garbage in the entry: a miss too.
    write_file(dir + "/" + name, "garbage", 0600);
    CHECK(same_program(seccomp::cached_filter(profile(kDenyMkdir), root.path).program(), compiled));
    CHECK(seccomp::decode_entry(read_file(dir + "/" + name),
                                *seccomp::cache_key(profile(kDenyMkdir))));
    // Another profile, another entry.
    seccomp::cached_filter(profile(kDenyRmdir), root.path);
    CHECK(entries(dir).size() == 2);
    // A profile that does not compile is never cached.
    CHECK_THROWS_AS(seccomp::cached_filter(profile(R"({"defaultAction": "SCMP_ACT_ALLOW",
        "syscalls": [{"names": ["no_such_call"], "action": "SCMP_ACT_ERRNO"}]})"),
                                           root.path),
                    Error);
    CHECK(entries(dir).size() == 2);
}

TEST_CASE("seccomp cache: at most 64 entries, the oldest by mtime goes first") {
    TempDir root;
    std::string dir = root.path + "/.seccomp";
    std::filesystem::create_directory(dir);
    auto now = std::filesystem::file_time_type::clock::now();
    for (int i = 0; i < 64; ++i) {
        std::string path = dir + "/old" + std::to_string(i);
        write_file(path, "x", 0600);
        std::filesystem::last_write_time(path, now - std::chrono::hours(100 - i));
    }
    seccomp::cached_filter(profile(kDenyMkdir), root.path);
    std::vector<std::string> names = entries(dir);
    CHECK(names.size() == 64);
    CHECK(std::count(names.begin(), names.end(), "old0") == 0); // the oldest
    CHECK(std::count(names.begin(), names.end(), "old1") == 1);
    CHECK(std::count(names.begin(), names.end(),
                     seccomp::entry_name(*seccomp::cache_key(profile(kDenyMkdir)))) == 1);
}

TEST_CASE("seccomp cache: a cache that cannot be written costs the compile, not the create") {
    TempDir root;
    write_file(root.path + "/.seccomp", "not a directory", 0600);
    CHECK_FALSE(seccomp::cached_filter(profile(kDenyMkdir), root.path).program().insns.empty());
}
