#include "namespaces.hpp"

#include "rung/error.hpp"
#include "rung/file.hpp"
#include "rung/log.hpp"
#include "rung/sys.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>
#include <unistd.h>

namespace rung {
namespace {

struct NamespaceType {
    const char* name;
    int flag;
    const char* proc_name; // the /proc/self/ns entry
};
constexpr NamespaceType kTypes[] = {
    {"pid", CLONE_NEWPID, "pid"},          {"network", CLONE_NEWNET, "net"},
    {"mount", CLONE_NEWNS, "mnt"},         {"ipc", CLONE_NEWIPC, "ipc"},
    {"uts", CLONE_NEWUTS, "uts"},          {"user", CLONE_NEWUSER, "user"},
    {"cgroup", CLONE_NEWCGROUP, "cgroup"}, {"time", CLONE_NEWTIME, "time"},
};

const NamespaceType& lookup(const std::string& name) {
    for (const auto& t : kTypes)
        if (name == t.name) return t;
    throw Error("linux.namespaces: unknown namespace type " + quote(name));
}

bool applies_to_children(int flag) {
    return flag == CLONE_NEWPID || flag == CLONE_NEWTIME;
}

void enter(const NamespaceJoin& j) {
    unique_fd fd = sys::open(j.path, O_RDONLY | O_CLOEXEC, 0, "config-linux.md: namespaces, path");
    with_context("join " + j.name + " namespace " + quote(j.path),
                 [&] { sys::setns(fd.get(), j.type, "config-linux.md: namespaces, path"); });
}

// Whether we are in the namespace at `path` already: setns(2) into one's own user namespace
// fails with EINVAL, and the runtime's helper cloned init in the joined one (container.cpp).
bool already_in(const NamespaceJoin& j) {
    struct stat theirs, ours;
    return ::stat(j.path.c_str(), &theirs) == 0 && ::stat("/proc/self/ns/user", &ours) == 0 &&
           theirs.st_ino == ours.st_ino && theirs.st_dev == ours.st_dev;
}

} // namespace

bool NamespacePlan::has(const std::string& type) const {
    int flag = lookup(type).flag;
    if (clone_flags & static_cast<unsigned long>(flag)) return true;
    for (const auto& j : join)
        if (j.type == flag) return true;
    return false;
}

NamespacePlan plan_namespaces(const std::vector<Namespace>& namespaces) {
    NamespacePlan plan;
    unsigned long seen = 0;
    for (const auto& ns : namespaces) {
        const NamespaceType& t = lookup(ns.type);
        if (seen & static_cast<unsigned long>(t.flag))
            throw Error("linux.namespaces: duplicate namespace type " + quote(ns.type));
        seen |= static_cast<unsigned long>(t.flag);
        if (!path_exists(std::string("/proc/self/ns/") + t.proc_name))
            throw Error("linux.namespaces: this kernel has no " + ns.type + " namespace");
        if (ns.path.empty())
            plan.clone_flags |= static_cast<unsigned long>(t.flag);
        else
            plan.join.push_back({t.flag, ns.type, ns.path});
    }
    return plan;
}

ChildNamespaces::ChildNamespaces(const NamespacePlan& plan) {
    for (const auto& j : plan.join) {
        if (!applies_to_children(j.type)) continue;
        std::string self = std::string("/proc/self/ns/") +
                           (j.type == CLONE_NEWPID ? "pid_for_children" : "time_for_children");
        saved_.emplace_back(j.type, open_file(self, O_RDONLY));
        enter(j);
    }
}

void ChildNamespaces::restore() {
    while (!saved_.empty()) {
        auto [type, fd] = std::move(saved_.back());
        saved_.pop_back();
        sys::setns(fd.get(), type, "rung: back to the runtime's own namespaces for children");
    }
}

ChildNamespaces::~ChildNamespaces() {
    try {
        restore();
    } catch (const Error& e) {
        log::error(e.what());
    }
}

void check_sysctl(const std::map<std::string, std::string>& sysctl, const NamespacePlan& plan) {
    static const char* const kIpcKeys[] = {
        "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
        "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced"};
    for (const auto& [key, value] : sysctl) {
        std::string ns;
        if (key.starts_with("net.")) ns = "network";
        if (key.starts_with("fs.mqueue.")) ns = "ipc";
        if (key == "kernel.hostname" || key == "kernel.domainname") ns = "uts";
        for (const char* k : kIpcKeys)
            if (key == k) ns = "ipc";
        if (ns.empty())
            throw Error("config.json: .linux.sysctl: " + quote(key) +
                        " is not namespaced: setting it would change the host");
        if (!plan.has(ns))
            throw Error("config.json: .linux.sysctl: " + quote(key) + " needs a " + ns +
                        " namespace of the container's own");
    }
}

void join_namespaces(const NamespacePlan& plan) {
    // The user namespace first (it grants the rights to join the others), the mount namespace
    // last; pid and time were entered by the runtime before clone3.
    for (int pass = 0; pass < 3; ++pass) {
        for (const auto& j : plan.join) {
            int rank = j.type == CLONE_NEWUSER ? 0 : j.type == CLONE_NEWNS ? 2 : 1;
            if (rank != pass || applies_to_children(j.type)) continue;
            if (j.type == CLONE_NEWUSER && already_in(j)) continue;
            enter(j);
        }
    }
}

const NamespaceJoin* joined_user_namespace(const NamespacePlan& plan) {
    for (const auto& j : plan.join)
        if (j.type == CLONE_NEWUSER && !already_in(j)) return &j;
    return nullptr;
}

void join_user_namespace(const NamespaceJoin& user) {
    enter(user);
}

// config-linux.md, namespaces, "cgroup": the container sees its own cgroup as the root of the
// hierarchy. A cgroup namespace is rooted at the cgroup of the process that makes it, when it
// makes it: cloned with clone3's CLONE_INTO_CGROUP it would be rooted at the runtime's cgroup
// (the kernel copies the namespaces before it moves the child), so init makes it itself, now
// that it is in its own.
void unshare_cgroup_namespace(const NamespacePlan& plan) {
    if (plan.clone_flags & CLONE_NEWCGROUP)
        sys::unshare(CLONE_NEWCGROUP, "config-linux.md: namespaces, cgroup");
}

std::vector<std::string> namespace_type_names() {
    std::vector<std::string> out;
    for (const auto& t : kTypes)
        out.emplace_back(t.name);
    return out;
}

} // namespace rung
