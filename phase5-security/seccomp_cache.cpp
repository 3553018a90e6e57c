// seccomp_cache: compiled filters kept in the state root, `<root>/.seccomp/`, one file per
// profile, as crun keeps them (its seccomp cache under the state dir). seccomp.hpp says why.
//
// An entry is named by a hash of its key, and holds the FULL key, then the flags and the program.
// On a hit the key is compared byte for byte: the hash only finds the file. A 64-bit hash (or
// any hash short enough to name a file) can be made to collide by whoever picks the profiles, a
// tenant of a shared engine say, who could then have another container's strong profile served
// the program of a weak one. The bytes cannot collide. A file that is missing, short, corrupt or
// keyed differently is a miss: the profile is compiled (and so validated in full) and the entry
// written again. A profile that fails to compile is never written; a hit was validated when its
// entry was written, with the same key bytes.
//
// The directory is 0700 and each entry 0600, like the state around it: whoever can write the
// state root owns every container in it anyway. At most kMaxEntries entries: writing one more
// first removes the oldest by mtime.
#include "rung/error.hpp"
#include "rung/file.hpp"
#include "rung/log.hpp"
#include "rung/sys.hpp"
#include "seccomp.hpp"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <seccomp.h>

namespace rung::seccomp {
namespace {

constexpr const char* kRule = "config-linux.md: seccomp, compiled once per profile (the cache)";
constexpr std::string_view kMagic = "rung seccomp cache 1\n";
constexpr size_t kMaxEntries = 64;

// The model as JSON: every field the program depends on, in a fixed order (nlohmann's objects
// are sorted by key).
nlohmann::json profile_json(const Seccomp& p) {
    auto errno_json = [](const std::optional<uint32_t>& e) {
        return e ? nlohmann::json(*e) : nlohmann::json(nullptr);
    };
    nlohmann::json syscalls = nlohmann::json::array();
    for (const auto& s : p.syscalls) {
        nlohmann::json args = nlohmann::json::array();
        for (const auto& a : s.args)
            args.push_back(
                {{"index", a.index}, {"value", a.value}, {"valueTwo", a.value_two}, {"op", a.op}});
        syscalls.push_back({{"names", s.names},
                            {"action", s.action},
                            {"errnoRet", errno_json(s.errno_ret)},
                            {"args", args}});
    }
    return {{"defaultAction", p.default_action},
            {"defaultErrnoRet", errno_json(p.default_errno_ret)},
            {"architectures", p.architectures},
            {"flags", p.flags},
            {"listenerPath", p.listener_path},
            {"listenerMetadata", p.listener_metadata},
            {"syscalls", syscalls}};
}

// FNV-1a, 64 bits: only to name the file (the key is compared in full).
uint64_t fnv1a(std::string_view bytes) {
    uint64_t h = 14695981039346656037ULL;
    for (unsigned char c : bytes) {
        h ^= c;
        h *= 1099511628211ULL;
    }
    return h;
}

template <class T>
void put(std::string& out, T value) {
    out.append(reinterpret_cast<const char*>(&value), sizeof value);
}

template <class T>
bool get(std::string_view& in, T& value) {
    if (in.size() < sizeof value) return false;
    std::memcpy(&value, in.data(), sizeof value);
    in.remove_prefix(sizeof value);
    return true;
}

// Make room for one more entry: remove the oldest (by mtime) beyond kMaxEntries - 1, except
// `keep` (the entry about to be replaced). Another create may remove the same file first.
void evict_oldest(const std::string& dir, const std::string& keep) {
    std::vector<std::pair<std::filesystem::file_time_type, std::string>> entries;
    for (const auto& e : std::filesystem::directory_iterator(dir)) {
        std::error_code ec;
        auto mtime = e.last_write_time(ec);
        if (!ec && e.path() != keep) entries.emplace_back(mtime, e.path());
    }
    if (entries.size() < kMaxEntries) return;
    std::sort(entries.begin(), entries.end());
    for (size_t i = 0; i + kMaxEntries - 1 < entries.size(); ++i) {
        try {
            sys::unlink(entries[i].second, "rung: the seccomp cache holds at most 64 filters");
        } catch (const Error& e) {
            if (e.err() != ENOENT) throw;
        }
    }
}

// Written atomically, so a concurrent create reads the old entry or the new one. Failing to
// write it costs the next create a compile, nothing else.
void store(const std::string& dir, const std::string& path, const std::string& entry) {
    try {
        mkdir_all(dir, 0700);
        evict_oldest(dir, path);
        log::step(kRule, "write_file_atomic(", quote(path), ", ", entry.size(), " bytes, 0600)");
        write_file_atomic(path, entry, 0600);
    } catch (const std::exception& e) {
        log::step(kRule, "not cached (create goes on): ", e.what());
    }
}

} // namespace

std::optional<std::string> cache_key(const Seccomp& profile) {
    std::string release;
    try {
        release = read_file("/proc/sys/kernel/osrelease");
    } catch (const Error&) {
        return std::nullopt;
    }
    const scmp_version* v = ::seccomp_version();
    nlohmann::json key = {{"profile", profile_json(profile)},
                          {"libseccomp", {v->major, v->minor, v->micro}},
                          {"api", ::seccomp_api_get()},
                          {"arch", ::seccomp_arch_native()},
                          {"kernel", release.substr(0, release.find('\n'))}};
    return key.dump();
}

std::string entry_name(const std::string& key) {
    char name[17];
    std::snprintf(name, sizeof name, "%016llx", static_cast<unsigned long long>(fnv1a(key)));
    return name;
}

std::string encode_entry(const std::string& key, const Program& program) {
    std::string out(kMagic);
    put(out, static_cast<uint64_t>(key.size()));
    out += key;
    put(out, program.flags);
    put(out, static_cast<uint32_t>(program.insns.size()));
    out.append(reinterpret_cast<const char*>(program.insns.data()),
               program.insns.size() * sizeof(sock_filter));
    return out;
}

std::optional<Program> decode_entry(std::string_view in, const std::string& key) {
    if (in.substr(0, kMagic.size()) != kMagic) return std::nullopt;
    in.remove_prefix(kMagic.size());
    uint64_t key_size = 0;
    if (!get(in, key_size) || key_size != key.size() || in.substr(0, key_size) != key)
        return std::nullopt;
    in.remove_prefix(key_size);
    Program program;
    uint32_t count = 0;
    if (!get(in, program.flags) || !get(in, count) || count == 0 || count > BPF_MAXINSNS ||
        in.size() != size_t{count} * sizeof(sock_filter))
        return std::nullopt;
    program.insns.resize(count);
    std::memcpy(program.insns.data(), in.data(), in.size());
    return program;
}

Filter cached_filter(const Seccomp& profile, const std::string& root) {
    std::optional<std::string> key = cache_key(profile);
    if (!key) {
        log::step(kRule, "no kernel release in /proc: compiled, not cached");
        return Filter(profile);
    }
    std::string dir = root + "/.seccomp", path = dir + "/" + entry_name(*key);
    std::string entry;
    try {
        entry = read_regular_file(path);
    } catch (const Error&) {
        // Missing or unreadable: a miss.
    }
    if (std::optional<Program> program = decode_entry(entry, *key)) {
        log::step(kRule, "hit ", quote(path), ": the same key, byte for byte; ",
                  program->insns.size(), " BPF instructions, not compiled again");
        return Filter(profile, std::move(*program));
    }
    log::step(kRule, "miss ", quote(path),
              entry.empty() ? ": no entry" : ": an entry of another key or corrupt",
              "; compile the profile");
    Filter filter(profile);
    store(dir, path, encode_entry(*key, filter.program()));
    return filter;
}

} // namespace rung::seccomp
