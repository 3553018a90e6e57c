// namespaces: linux.namespaces, new ones through clone3 flags and existing ones through setns.
#pragma once

#include "rung/fd.hpp"
#include "spec.hpp"

#include <map>
#include <string>
#include <vector>

namespace rung {

struct NamespaceJoin {
    int type; // CLONE_NEW* constant
    std::string name;
    std::string path;
};

struct NamespacePlan {
    unsigned long clone_flags = 0;           // new namespaces
    std::vector<NamespaceJoin> join;         // existing ones, by path
    bool has(const std::string& type) const; // listed at all, new or joined
};

// config-linux.md "Namespaces": every type listed without a path is new, with a path is joined,
// and a type that is not listed is shared with the runtime. Unknown and duplicate types are
// errors, and so is the time namespace on a kernel without it.
NamespacePlan plan_namespaces(const std::vector<Namespace>& namespaces);

// The namespace types the table knows, in its order: for `features`.
std::vector<std::string> namespace_type_names();

// pid and time namespaces apply to a process's *children*: setns(2) on them must happen in the
// runtime before clone3. This enters them; restore() returns to the runtime's own once the child
// is cloned, and throws if it cannot (the runtime's later children, hooks among them, would be
// born in the container's namespaces). The destructor restores too, on the error path, and logs
// a failure there, since an error is already on its way.
class ChildNamespaces {
public:
    explicit ChildNamespaces(const NamespacePlan& plan);
    ~ChildNamespaces();
    void restore();
    // Stay: for a helper in a joined user namespace, which exits next and could not go back.
    void stay() { saved_.clear(); }
    ChildNamespaces(const ChildNamespaces&) = delete;
    ChildNamespaces& operator=(const ChildNamespaces&) = delete;

private:
    std::vector<std::pair<int, unique_fd>> saved_;
};

// config-linux.md, sysctl: only keys of a namespace the container has of its own may be set; any
// other would change the host. IPC keys need an ipc namespace, net.* a network namespace,
// kernel.hostname and kernel.domainname a uts namespace.
void check_sysctl(const std::map<std::string, std::string>& sysctl, const NamespacePlan& plan);

// In init: setns into the other joined namespaces; the mount namespace last, as it changes how
// every later path resolves. A user namespace init is in already is not joined again.
void join_namespaces(const NamespacePlan& plan);

// The user namespace the plan joins by path, if any and if it is not the one we are in.
const NamespaceJoin* joined_user_namespace(const NamespacePlan& plan);

// setns(2) into it: for the runtime's helper that clones init there (container.cpp).
void join_user_namespace(const NamespaceJoin& user);

// In init, once the runtime has placed it in its cgroup: a new cgroup namespace, if the plan has
// one (the runtime clones init without it).
void unshare_cgroup_namespace(const NamespacePlan& plan);

} // namespace rung
