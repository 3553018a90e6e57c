// userns: the container's user namespace and its uid and gid maps.
//
// clone3 creates the user namespace first and every other new namespace of init owned by it, so
// init's capabilities reach its mounts, its network and its hostname, and nothing of the host's.
// The namespace starts with no mapping: until the runtime writes /proc/<init>/uid_map and gid_map
// from outside, init is "nobody" in it. Then init becomes uid 0 of the namespace, which the host
// sees as the hostID that containerID 0 maps to.
#include "userns.hpp"

#include "process.hpp"
#include "rung/error.hpp"
#include "rung/fd.hpp"
#include "rung/file.hpp"
#include "rung/log.hpp"
#include "rung/sync.hpp"
#include "rung/sys.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <fcntl.h>
#include <pwd.h>
#include <sched.h>
#include <sstream>
#include <sys/wait.h>
#include <unistd.h>

namespace rung {
namespace {

// user_namespaces(7): a map file takes at most 340 lines since Linux 4.15.
constexpr size_t kMaxRanges = 340;
// The last id a range may cover: 4294967295 is (uid_t)-1, which names no id.
constexpr uint64_t kLastId = 4294967294;

bool overlaps(uint32_t a, uint32_t a_size, uint32_t b, uint32_t b_size) {
    return uint64_t{a} < uint64_t{b} + b_size && uint64_t{b} < uint64_t{a} + a_size;
}

// What the kernel refuses with a bare EINVAL, said in words before anything exists.
void check_ranges(const std::vector<IdMapping>& maps, const std::string& field) {
    if (maps.size() > kMaxRanges)
        throw Error(field + ": " + std::to_string(maps.size()) +
                    " ranges: the kernel takes at most 340");
    for (size_t i = 0; i < maps.size(); ++i) {
        const IdMapping& m = maps[i];
        std::string at = field + "[" + std::to_string(i) + "]";
        if (m.size == 0) throw Error(at + ": size 0 maps nothing");
        if (uint64_t{m.container_id} + m.size - 1 > kLastId ||
            uint64_t{m.host_id} + m.size - 1 > kLastId)
            throw Error(at + ": the range runs past 4294967294");
        for (size_t j = 0; j < i; ++j) {
            const IdMapping& o = maps[j];
            const char* side = overlaps(m.container_id, m.size, o.container_id, o.size)
                                   ? "container"
                               : overlaps(m.host_id, m.size, o.host_id, o.size) ? "host"
                                                                                : nullptr;
            if (side)
                throw Error(at + ": overlaps [" + std::to_string(j) + "] on the " + side +
                            " side: the kernel takes no id twice");
        }
    }
}

void check_mapped(const std::vector<IdMapping>& maps, uint32_t id, const std::string& field,
                  const std::string& what, const std::string& note = "") {
    if (!host_id_of(maps, id))
        throw Error("config.json: " + what + " " + std::to_string(id) + note +
                    " is not mapped by .linux." + field);
}

// One that is not root may write a map itself only if it maps its own id alone
// (user_namespaces(7)); anything else goes through the setuid helpers of shadow's uidmap.
bool writes_directly(const std::vector<IdMapping>& maps, uid_t own) {
    return ::geteuid() == 0 || (maps.size() == 1 && maps[0].host_id == own && maps[0].size == 1);
}

std::string host_path() {
    const char* path = std::getenv("PATH");
    return std::string("PATH=") + (path ? path : "/usr/sbin:/usr/bin:/sbin:/bin");
}

// Where newuidmap or newgidmap is, or an error naming what the caller lacks.
std::string find_helper(const std::string& helper, const std::string& field) {
    try {
        return find_executable(helper, {host_path()});
    } catch (const Error&) {
        throw Error("config.json: .linux." + field + ": as a user other than root, a map other " +
                    "than of your own id alone needs " + helper +
                    " (Debian package uidmap), which is not in $PATH");
    }
}

// Run newuidmap or newgidmap; its complaint, if any, becomes one line of ours.
void run_helper(const std::string& path, const std::vector<std::string>& args) {
    auto [out, in] = sys::pipe2(O_CLOEXEC);
    pid_t pid = sys::fork("config-linux.md: User namespace mappings, through " + args[0]);
    if (pid == 0) {
        ::dup2(in.get(), STDOUT_FILENO);
        ::dup2(in.get(), STDERR_FILENO);
        std::vector<char*> argv;
        for (const auto& a : args)
            argv.push_back(const_cast<char*>(a.c_str()));
        argv.push_back(nullptr);
        ::execv(path.c_str(), argv.data());
        ::_exit(127);
    }
    in.reset();
    std::string said;
    char buf[512];
    for (ssize_t n; (n = ::read(out.get(), buf, sizeof buf)) > 0;)
        said.append(buf, static_cast<size_t>(n));
    int status = sys::wait_for(pid);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return;
    std::string first = said.substr(0, said.find('\n'));
    throw Error(args[0] + " failed (exit status " + std::to_string(sys::exit_code_of(status)) +
                ")" + (first.empty() ? "" : ": " + first));
}

// One map file of init's, written whole in one write(2), as the kernel wants it.
void write_map(pid_t pid, const std::string& file, const std::vector<IdMapping>& maps,
               const std::string& field, uid_t own, const std::string& helper) {
    with_context("config.json: .linux." + field, [&] {
        std::string path = "/proc/" + std::to_string(pid) + "/" + file;
        if (writes_directly(maps, own)) {
            log::trace("rung", "config-linux.md: User namespace mappings", "write(", quote(path),
                       ", ", quote(map_text(maps)), ")");
            write_file(path, map_text(maps));
            return;
        }
        std::vector<std::string> args = {helper, std::to_string(pid)};
        for (const auto& m : maps)
            for (uint32_t v : {m.container_id, m.host_id, m.size})
                args.push_back(std::to_string(v));
        std::string text;
        for (const auto& a : args)
            text += (text.empty() ? "" : " ") + a;
        log::trace("rung", "config-linux.md: User namespace mappings", text);
        run_helper(find_helper(helper, field), args);
    });
}

// The maps of a namespace given by path, as the host sees them: read by a child that joins it.
std::pair<std::string, std::string> maps_of_namespace(const std::string& ns_path) {
    unique_fd ns = sys::open(ns_path, O_RDONLY | O_CLOEXEC, 0, "config-linux.md: namespaces, path");
    auto [out, in] = sys::pipe2(O_CLOEXEC);
    pid_t pid = sys::fork("rung: read the maps of the user namespace to join");
    if (pid == 0) {
        std::string text;
        if (::setns(ns.get(), CLONE_NEWUSER) == 0) {
            try {
                text = read_file("/proc/self/uid_map") + "--\n" + read_file("/proc/self/gid_map");
            } catch (const Error&) {
            }
        }
        write_full(in.get(), text);
        ::_exit(text.empty() ? 1 : 0);
    }
    in.reset();
    std::string text;
    char buf[4096];
    for (ssize_t n; (n = ::read(out.get(), buf, sizeof buf)) > 0;)
        text.append(buf, static_cast<size_t>(n));
    if (int status = sys::wait_for(pid); !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        throw Error("linux.namespaces: cannot read the maps of the user namespace " +
                    quote(ns_path));
    size_t sep = text.find("--\n");
    return {text.substr(0, sep), text.substr(sep + 3)};
}

// A map file's lines, with the kernel's column padding folded, as map_text() writes them.
std::string normalise(const std::string& text) {
    std::istringstream in(text);
    std::string out;
    for (uint64_t c, h, s; in >> c >> h >> s;)
        out += std::to_string(c) + " " + std::to_string(h) + " " + std::to_string(s) + "\n";
    return out;
}

// "0 100000 65536, 65536 0 1": a map's lines on one line, for a message.
std::string one_line(std::string text) {
    while (!text.empty() && text.back() == '\n')
        text.pop_back();
    for (size_t at; (at = text.find('\n')) != std::string::npos;)
        text.replace(at, 1, ", ");
    return text;
}

// runc's rule for a joined user namespace given with maps too (containerd and CRI-O do that):
// fine if they are the namespace's own, an error if they are not.
void check_joined_maps(const Spec& spec, const std::string& ns_path) {
    if (spec.linux.uid_mappings.empty() && spec.linux.gid_mappings.empty()) return;
    auto [uids, gids] = maps_of_namespace(ns_path);
    if (normalise(uids) != map_text(spec.linux.uid_mappings))
        throw Error("config.json: .linux.uidMappings: the user namespace " + quote(ns_path) +
                    " to join maps other uids: " + one_line(normalise(uids)));
    if (normalise(gids) != map_text(spec.linux.gid_mappings))
        throw Error("config.json: .linux.gidMappings: the user namespace " + quote(ns_path) +
                    " to join maps other gids: " + one_line(normalise(gids)));
}

// The first line of a /proc/sys file, or "" if there is none (a sysctl this kernel lacks).
std::string sysctl_value(const std::string& path) {
    if (!path_exists(path)) return "";
    std::string v = read_file(path);
    return v.substr(0, v.find('\n'));
}

// A line "name:start:count" or "uid:start:count" of /etc/subuid or /etc/subgid for the caller.
bool has_subordinate_range(const std::string& file, uid_t uid) {
    if (!path_exists(file)) return false;
    const passwd* pw = ::getpwuid(uid);
    std::istringstream in(read_file(file));
    for (std::string line; std::getline(in, line);) {
        std::string owner = line.substr(0, line.find(':'));
        if (owner == std::to_string(uid) || (pw && owner == pw->pw_name)) return true;
    }
    return false;
}

} // namespace

std::optional<uint32_t> host_id_of(const std::vector<IdMapping>& maps, uint32_t id) {
    for (const auto& m : maps)
        if (id >= m.container_id && uint64_t{id} < uint64_t{m.container_id} + m.size)
            return m.host_id + (id - m.container_id);
    return std::nullopt;
}

std::string map_text(const std::vector<IdMapping>& maps) {
    std::string out;
    for (const auto& m : maps)
        out += std::to_string(m.container_id) + " " + std::to_string(m.host_id) + " " +
               std::to_string(m.size) + "\n";
    return out;
}

void check_user_namespace(const Spec& spec, const NamespacePlan& plan) {
    const Linux& l = spec.linux;
    if (!plan.has("user")) {
        // config-linux.md: the maps are those of the user namespace; without one they map nothing.
        if (!l.uid_mappings.empty() || !l.gid_mappings.empty())
            throw Error(std::string("config.json: .linux.") +
                        (l.uid_mappings.empty() ? "gidMappings" : "uidMappings") +
                        " needs a user namespace, and linux.namespaces has no \"user\"");
        return;
    }
    if (!(plan.clone_flags & CLONE_NEWUSER)) {
        for (const auto& j : plan.join)
            if (j.type == CLONE_NEWUSER) check_joined_maps(spec, j.path);
        return;
    }
    // A new one: without maps nobody is anybody in it, and the first file init makes fails.
    if (l.uid_mappings.empty() || l.gid_mappings.empty())
        throw Error(std::string("config.json: .linux.") +
                    (l.uid_mappings.empty() ? "uidMappings" : "gidMappings") +
                    ": a new user namespace needs uid and gid mappings");
    check_ranges(l.uid_mappings, "config.json: .linux.uidMappings");
    check_ranges(l.gid_mappings, "config.json: .linux.gidMappings");
    // Init becomes the namespace's root (runc: "no root user mapping found" otherwise).
    check_mapped(l.uid_mappings, 0, "uidMappings", "uid", " (the container's root)");
    check_mapped(l.gid_mappings, 0, "gidMappings", "gid", " (the container's root)");
    const User& u = spec.process.user;
    check_mapped(l.uid_mappings, u.uid, "uidMappings", "process.user.uid");
    check_mapped(l.gid_mappings, u.gid, "gidMappings", "process.user.gid");
    for (uint32_t g : u.additional_gids)
        check_mapped(l.gid_mappings, g, "gidMappings", "process.user.additionalGids: gid");
    if (!writes_directly(l.uid_mappings, ::geteuid())) find_helper("newuidmap", "uidMappings");
    if (!writes_directly(l.gid_mappings, ::getegid())) find_helper("newgidmap", "gidMappings");
}

HelperCloned clone_in_user_namespace(const NamespaceJoin& user,
                                     const std::function<HelperCloned(unsigned long)>& clone) {
    // Named references, not a structured binding: the lambda below captures one, which clang
    // refuses for bindings before version 16 (P1091), and the sanitizer build is clang's.
    std::pair<unique_fd, unique_fd> ends = sys::socketpair();
    unique_fd &ours = ends.first, &theirs = ends.second;
    pid_t helper = sys::fork("config-linux.md: namespaces, owned by the joined user namespace");
    if (helper == 0) {
        ours.reset();
        try {
            join_user_namespace(user);
            HelperCloned c = clone(CLONE_PARENT);
            sync::send(theirs.get(),
                       sync::Frame{sync::Type::ready, 0, c.pid, c.in_cgroup ? "in cgroup" : ""});
            ::_exit(0);
        } catch (const std::exception& e) {
            sync::send_error(theirs.get(), e);
            ::_exit(1);
        }
    }
    theirs.reset();
    sync::Frame f = with_context("clone in the user namespace " + quote(user.path), [&] {
        ScopeGuard reap([&] { sys::wait_for(helper); });
        return sync::expect(ours.get(), sync::Type::ready, "rung");
    });
    return HelperCloned{f.pid, f.message == "in cgroup"};
}

void check_rootless_prerequisites(const Spec& spec, const NamespacePlan& plan) {
    if (::geteuid() == 0) return;
    // Without a user namespace of its own, an unprivileged clone3 of any namespace is EPERM.
    if (!(plan.clone_flags & CLONE_NEWUSER) && !joined_user_namespace(plan))
        throw Error("rootless: as a user other than root, linux.namespaces needs a new \"user\" "
                    "(rung spec --rootless writes one)");
    if (!(plan.clone_flags & CLONE_NEWUSER)) return;
    if (sysctl_value("/proc/sys/user/max_user_namespaces") == "0")
        throw Error("rootless: user.max_user_namespaces is 0: this host allows no user "
                    "namespaces (sysctl -w user.max_user_namespaces=15000)");
    if (sysctl_value("/proc/sys/kernel/unprivileged_userns_clone") == "0")
        throw Error("rootless: kernel.unprivileged_userns_clone is 0: this host allows user "
                    "namespaces to root only (sysctl -w kernel.unprivileged_userns_clone=1)");
    if (writes_directly(spec.linux.gid_mappings, ::getegid()) &&
        !spec.process.user.additional_gids.empty())
        throw Error("rootless: config.json: process.user.additionalGids needs setgroups(2), which "
                    "a gid map written without newgidmap denies");
    const passwd* pw = ::getpwuid(::geteuid());
    std::string who = pw ? pw->pw_name : std::to_string(::geteuid());
    if (!writes_directly(spec.linux.uid_mappings, ::geteuid()) &&
        !has_subordinate_range("/etc/subuid", ::geteuid()))
        throw Error("rootless: config.json: .linux.uidMappings maps more than your own uid, and "
                    "/etc/subuid has no range for " +
                    who + " (usermod --add-subuids 100000-165535 " + who + ")");
    if (!writes_directly(spec.linux.gid_mappings, ::getegid()) &&
        !has_subordinate_range("/etc/subgid", ::geteuid()))
        throw Error("rootless: config.json: .linux.gidMappings maps more than your own gid, and "
                    "/etc/subgid has no range for " +
                    who + " (usermod --add-subgids 100000-165535 " + who + ")");
}

void make_rootless(json& config) {
    json& linux = config["linux"];
    json namespaces = json::array();
    for (const auto& ns : linux["namespaces"])
        if (ns["type"] != "network" && ns["type"] != "user") namespaces.push_back(ns);
    namespaces.push_back({{"type", "user"}});
    linux["namespaces"] = namespaces;
    linux["uidMappings"] = {{{"containerID", 0}, {"hostID", ::geteuid()}, {"size", 1}}};
    linux["gidMappings"] = {{{"containerID", 0}, {"hostID", ::getegid()}, {"size", 1}}};
    linux.erase("resources");
    for (auto& m : config["mounts"]) {
        if (m["destination"] == "/sys") {
            m = {{"destination", "/sys"},
                 {"type", "none"},
                 {"source", "/sys"},
                 {"options", {"rbind", "nosuid", "noexec", "nodev", "ro"}}};
            continue;
        }
        json options = json::array();
        for (const auto& o : m.value("options", json::array()))
            if (!o.get<std::string>().starts_with("uid=") &&
                !o.get<std::string>().starts_with("gid="))
                options.push_back(o);
        m["options"] = options;
    }
}

void write_id_maps(pid_t pid, const Spec& spec, const NamespacePlan& plan) {
    // config-linux.md, "User namespace mappings": only a new namespace is ours to map.
    if (!(plan.clone_flags & CLONE_NEWUSER)) return;
    write_map(pid, "uid_map", spec.linux.uid_mappings, "uidMappings", ::geteuid(), "newuidmap");
    // user_namespaces(7): one without CAP_SETGID in the parent namespace may write its own gid
    // only once setgroups(2) is denied in the new one, or it could drop a group that denies it
    // access. Root leaves it allowed, and so does newgidmap, which decides by /etc/subgid.
    if (::geteuid() != 0 && writes_directly(spec.linux.gid_mappings, ::getegid())) {
        std::string path = "/proc/" + std::to_string(pid) + "/setgroups";
        log::trace("rung", "user_namespaces(7): an unprivileged gid_map", "write(", quote(path),
                   ", \"deny\")");
        with_context("config.json: .linux.gidMappings", [&] { write_file(path, "deny"); });
    }
    write_map(pid, "gid_map", spec.linux.gid_mappings, "gidMappings", ::getegid(), "newgidmap");
}

void open_fifo_to_user_namespace(const std::string& state_dir, const std::string& fifo,
                                 const NamespacePlan& plan) {
    if (!plan.has("user")) return;
    // Init opens the FIFO at start as the namespace's root, a host uid that is not ours. As runc:
    // the FIFO may be written by anyone who reaches it, and the container's directory searched;
    // its parent, the state root, stays 0700, so only a process that holds the directory open,
    // which init does since before it became that uid, can use either.
    sys::chmod(state_dir, 0711, "runc: the exec FIFO's directory, searchable by the container");
    sys::chmod(fifo, 0622, "runc: the exec FIFO, writable by the container's root");
}

void delegate_cgroup(const std::string& cgroup_dir, const Spec& spec, const NamespacePlan& plan) {
    // config-linux.md, "Cgroup ownership": only with a new cgroup namespace, a mapping that says
    // whose it becomes, and a cgroup filesystem mounted read-write at /sys/fs/cgroup.
    if (!(plan.clone_flags & CLONE_NEWUSER) || !(plan.clone_flags & CLONE_NEWCGROUP)) return;
    bool rw = std::any_of(spec.mounts.begin(), spec.mounts.end(), [](const Mount& m) {
        return m.source == "cgroup" && m.destination == "/sys/fs/cgroup" &&
               std::find(m.options.begin(), m.options.end(), "ro") == m.options.end();
    });
    if (!rw) return;
    uid_t uid = *host_id_of(spec.linux.uid_mappings, spec.process.user.uid);
    std::vector<std::string> files = {"cgroup.procs", "cgroup.subtree_control", "cgroup.threads"};
    if (path_exists("/sys/kernel/cgroup/delegate")) {
        files.clear();
        std::istringstream in(read_file("/sys/kernel/cgroup/delegate"));
        for (std::string f; std::getline(in, f);)
            if (!f.empty()) files.push_back(f);
    }
    const char* rule = "config-linux.md: Cgroup ownership";
    sys::chown(cgroup_dir, uid, static_cast<gid_t>(-1), rule);
    for (const auto& f : files)
        if (path_exists(cgroup_dir + "/" + f))
            sys::chown(cgroup_dir + "/" + f, uid, static_cast<gid_t>(-1), rule);
}

bool setgroups_denied() {
    return path_exists("/proc/self/setgroups") &&
           read_file("/proc/self/setgroups").starts_with("deny");
}

void become_root_in_user_namespace(const Spec& spec, const NamespacePlan& plan) {
    if (!plan.has("user")) return;
    // The runtime's supplementary groups are host groups (root's, say): drop them while
    // setgroups(2) is allowed. Where an unprivileged runtime denied it, they stay, and show as
    // the overflow gid inside.
    if (!setgroups_denied()) sys::setgroups({}, "runc: no host groups in the user namespace");
    sys::setgid(0, "runc: become root in the user namespace");
    sys::setuid(0, "runc: become root in the user namespace");
    // From here on every path init opens is checked against that uid: the rootfs must be
    // reachable by it, as runc requires (the spec leaves ownership to whoever made the bundle).
    if (::access(spec.root.path.c_str(), X_OK) == -1) {
        std::optional<uint32_t> host = host_id_of(spec.linux.uid_mappings, 0);
        throw Error("root.path " + quote(spec.root.path) + ": the container's root" +
                        (host ? " (host uid " + std::to_string(*host) + ")" : std::string()) +
                        " cannot reach it: every directory above it must be searchable by that " +
                        "uid",
                    errno);
    }
}

} // namespace rung
