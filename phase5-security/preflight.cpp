// preflight: every check create makes before it creates anything.
#include "preflight.hpp"

#include "capabilities.hpp"
#include "lsm.hpp"
#include "mount_options.hpp"
#include "rlimits.hpp"
#include "rootfs.hpp"
#include "rung/error.hpp"
#include "rung/file.hpp"
#include "rung/log.hpp"
#include "seccomp.hpp"
#include "userns.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <sched.h>
#include <sys/stat.h>
#include <unistd.h>

namespace rung {
namespace {

// config.md, root.path: a directory MUST exist there (load_spec made the path absolute).
void check_rootfs(const std::string& rootfs) {
    struct stat st;
    if (::stat(rootfs.c_str(), &st) == -1) throw_errno("root.path " + quote(rootfs));
    if (!S_ISDIR(st.st_mode)) throw Error("root.path " + quote(rootfs), ENOTDIR);
}

// config-linux.md, namespaces: without a "mount" entry the container MUST share the runtime's
// mount namespace, and with a path it joins that one. Neither is the container's: init changes
// no propagation there and never pivot_root(2)s (which would move the root of every process of
// the namespace), it chroot(2)s into root.path. A mount made there would change the host's, or
// the other container's, view and outlive the container, so what needs one is refused.
void check_foreign_mount_namespace(const Spec& spec, const CreateOptions& opts) {
    auto refuse = [](const std::string& what) {
        throw Error("config.json: " + what +
                    " needs a mount namespace of the container's own (linux.namespaces has "
                    "no new \"mount\")");
    };
    if (!spec.mounts.empty()) refuse(".mounts");
    if (spec.root.readonly) refuse(".root.readonly");
    if (!spec.linux.rootfs_propagation.empty()) refuse(".linux.rootfsPropagation");
    if (spec.process.terminal) refuse(".process.terminal (/dev/console is a bind mount)");
    if (opts.no_pivot)
        throw Error("--no-pivot needs a mount namespace of the container's own; without one rung "
                    "does not pivot_root, it chroots");
}

// What linux.namespaces must hold for the rest of config.json to be applied.
void check_namespaces(const Spec& spec, const NamespacePlan& plan, const CreateOptions& opts) {
    if (!(plan.clone_flags & CLONE_NEWNS)) check_foreign_mount_namespace(spec, opts);
    // config-linux.md, "User namespace mappings": a new user namespace with the maps the runtime
    // writes (userns.cpp), a joined one with none of its own, and no maps without either.
    check_user_namespace(spec, plan);
    check_rootless_prerequisites(spec, plan);
    // config.md: hostname and domainname need a UTS namespace of the container's own.
    if ((!spec.hostname.empty() || !spec.domainname.empty()) && !plan.has("uts"))
        throw Error("config.json: hostname and domainname need a UTS namespace, and "
                    "linux.namespaces has no \"uts\"");
    check_sysctl(spec.linux.sysctl, plan);
}

// execve(2) fails with E2BIG when one string of argv or envp is longer than MAX_ARG_STRLEN (32
// pages), or when all of them with their pointers fill more than a quarter of the stack limit
// (sysconf's ARG_MAX, at most 6 MiB: three quarters of _STK_LIM). Found here, not at start.
void check_exec_size(const Process& p, const std::string& where) {
    constexpr size_t kMaxArgStrlen = 32 * 4096;
    constexpr long kMaxStack = 6L << 20;
    size_t total = (std::max<size_t>(p.args.size(), 1) + p.env.size()) * sizeof(char*);
    for (const auto* list : {&p.args, &p.env}) {
        const char* name = list == &p.args ? ".args" : ".env";
        for (size_t i = 0; i < list->size(); ++i) {
            size_t n = (*list)[i].size() + 1;
            if (n > kMaxArgStrlen)
                throw Error(where + name + "[" + std::to_string(i) + "] is " + std::to_string(n) +
                            " bytes: execve(2) takes at most " + std::to_string(kMaxArgStrlen));
            total += n;
        }
    }
    size_t limit = static_cast<size_t>(std::min(::sysconf(_SC_ARG_MAX), kMaxStack));
    if (total > limit)
        throw Error(where + ": args and env take " + std::to_string(total) +
                    " bytes: execve(2) takes at most " + std::to_string(limit));
}

// config.md, process.user: uid and gid are uint32, but 4294967295 is (uid_t)-1, which setuid(2)
// and setgid(2) take as "no change" and setgroups(2) refuses: it names no user or group.
void check_ids(const User& u, const std::string& where) {
    auto check = [&](uint32_t id, const std::string& field) {
        if (id == UINT32_MAX)
            throw Error(where + ".user." + field + ": 4294967295 is -1 to the kernel, not an ID");
    };
    check(u.uid, "uid");
    check(u.gid, "gid");
    for (size_t i = 0; i < u.additional_gids.size(); ++i)
        check(u.additional_gids[i], "additionalGids[" + std::to_string(i) + "]");
}

// config.md, process.capabilities: a name capabilities(7) does not have is an error now, not
// at start; one that cannot be granted here is a warning (the spec: warn, do not fail).
void check_capabilities(const Process& p, const std::string& where) {
    std::vector<std::string> skipped;
    resolve_capabilities(p.capabilities, where, &skipped);
    for (const auto& line : skipped)
        log::warn(line);
}

} // namespace

void check_process(const Process& p, const std::string& where) {
    check_ids(p.user, where);
    check_exec_size(p, where);
    check_capabilities(p, where);
    check_rlimits(p.rlimits, where);
    check_process_labels(p, where);
}

// Rootless, runc's default: without a cgroupsPath, the container's cgroup is `<id>` next to the
// caller's own (resolve_path takes a relative path under the parent of the caller's cgroup), not
// /rung/<id>, which only root may make. A cgroup delegated to the user (systemd's user@.service,
// Delegate=yes) holds the caller's own in a child of it (a scope), so the container lands in the
// delegated one, beside the caller's.
std::string cgroup_path_of(const Spec& spec, const std::string& id) {
    std::string own = cgroups::own_cgroup(read_file("/proc/self/cgroup"));
    std::optional<std::string> path = spec.linux.cgroups_path;
    if ((!path || path->empty()) && rootless_runtime()) path = id;
    return with_context("config.json", [&] { return cgroups::resolve_path(path, id, own); });
}

CgroupPlan plan_cgroup(const Spec& spec, const std::string& id) {
    cgroups::Cgroup cgroup(cgroups::find_hierarchy(), cgroup_path_of(spec, id));
    return with_context("config.json", [&] {
        CgroupPlan plan{cgroup, {}, {}};
        if (spec.linux.resources) plan.writes = cgroups::plan_resources(*spec.linux.resources);
        // As runc: the defaults are appended to whatever the spec lists, even nothing.
        plan.devices = devices::compile_rules(spec.linux.resources ? spec.linux.resources->devices
                                                                   : std::vector<DeviceRule>{});
        plan.cgroup.check_controllers(plan.writes);
        return plan;
    });
}

std::string absolute_bundle(const std::string& bundle) {
    char* resolved = ::realpath(bundle.c_str(), nullptr);
    if (!resolved) throw_errno("bundle " + quote(bundle));
    std::string out(resolved);
    std::free(resolved);
    if (!is_directory(out)) throw Error("bundle " + quote(bundle), ENOTDIR);
    return out;
}

// What config.json asks for that needs more than a valid shape, checked before anything is
// created, so that a refusal leaves nothing behind.
void check_spec(const Spec& spec, const NamespacePlan& plan, const CreateOptions& opts) {
    // A joined mount namespace has its own view of root.path: init finds it there, or fails.
    if (!plan.has("mount") || (plan.clone_flags & CLONE_NEWNS)) check_rootfs(spec.root.path);
    check_process(spec.process, "config.json: process");
    check_namespaces(spec, plan, opts);
    check_mount_label(spec.linux.mount_label);
    // config.md, mounts: options that cannot be applied fail here, not halfway through init.
    for (size_t i = 0; i < spec.mounts.size(); ++i)
        with_context("config.json: .mounts[" + std::to_string(i) + "]",
                     [&] { mount_options_of(spec.mounts[i]); });
    // command-line-interface.md: with a terminal, create passes the pty master to a socket.
    if (spec.process.terminal && opts.console_socket.empty() && !opts.foreground)
        throw Error("config.json: process.terminal is true: create needs --console-socket");
}

// config-linux.md, seccomp: compiled to BPF before create makes anything, so that a bad profile
// fails in one line with nothing left behind. clone3 copies the program into init with the rest
// of the runtime's memory; init loads that copy with one seccomp(2) call. Compiling is most of
// what seccomp costs (libseccomp takes tens of millions of instructions for the default
// profile), so it is done once per profile and host: the program is cached in the state root
// (seccomp_cache.cpp).
std::optional<seccomp::Filter> compile_seccomp(const Spec& spec, const std::string& root) {
    if (!spec.linux.seccomp) return std::nullopt;
    return with_context("config.json",
                        [&] { return seccomp::cached_filter(*spec.linux.seccomp, root); });
}

} // namespace rung
