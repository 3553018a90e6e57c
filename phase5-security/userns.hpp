// userns: a user namespace of the container's own (config-linux.md, "Namespaces", "user", and
// "User namespace mappings"): the maps the runtime writes from outside, what init does to become
// the namespace's root, and who owns what the container must reach from inside it.
#pragma once

#include "namespaces.hpp"
#include "spec.hpp"

#include <functional>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace rung {

// The host id that `id` in the container maps to, if a range of `maps` covers it.
std::optional<uint32_t> host_id_of(const std::vector<IdMapping>& maps, uint32_t id);

// The text of a uid_map or gid_map file: one "containerID hostID size" line per range.
std::string map_text(const std::vector<IdMapping>& maps);

// preflight: linux.uidMappings and linux.gidMappings go with a new user namespace and only with
// one; each range is one the kernel takes (no overlap, no overflow, at most 340 of them); the
// container's root and process.user are mapped. Where the caller is not root, what it lacks
// to write the maps is named too.
void check_user_namespace(const Spec& spec, const NamespacePlan& plan);

// runtime, between clone and "go": write init's uid_map, setgroups ("deny" where the writer
// may not set groups) and gid_map, directly or through newuidmap/newgidmap.
void write_id_maps(pid_t pid, const Spec& spec, const NamespacePlan& plan);

// runtime: make the exec FIFO reachable by init once it is root of its user namespace (a host
// uid that owns nothing of the runtime's).
void open_fifo_to_user_namespace(const std::string& state_dir, const std::string& fifo,
                                 const NamespacePlan& plan);

// runtime, config-linux.md "Cgroup ownership": give the container's cgroup to the host uid of
// process.user, where the spec says a runtime should.
void delegate_cgroup(const std::string& cgroup_dir, const Spec& spec, const NamespacePlan& plan);

// Whether setgroups(2) is denied in our user namespace (/proc/self/setgroups says "deny").
bool setgroups_denied();

// init, once in its user namespace (new with its maps written, or joined): become its root, as
// runc does, so that what init makes in the container is owned by the container's root; and
// check that the rootfs is reachable by that uid.
void become_root_in_user_namespace(const Spec& spec, const NamespacePlan& plan);

// What clone_in_user_namespace's `clone` made: the child's pid as the runtime sees it, and whether
// clone3 started it in its cgroup.
struct HelperCloned {
    pid_t pid = 0;
    bool in_cgroup = false;
};

// A child whose new namespaces must belong to a joined user namespace (or, rootless, that must
// enter namespaces only that one grants): a helper child of the runtime joins `user` and calls
// `clone(CLONE_PARENT)`, which clones the child there as the runtime's own; the helper reports
// it and exits. (runc's nsexec does the same with setns, then unshare.)
HelperCloned clone_in_user_namespace(const NamespaceJoin& user,
                                     const std::function<HelperCloned(unsigned long)>& clone);

// runc's `spec --rootless`: the config `config` becomes one an unprivileged user can run: a user
// namespace mapping the caller's own uid and gid to root, no network namespace (it would have no
// way out), /sys bound from the host read-only (a sysfs needs a network namespace of the user
// namespace's own), no uid= or gid= mount options (those ids are not mapped) and no resources
// (no cgroup is the caller's unless one was delegated).
void make_rootless(json& config);

// Before create as a user other than root: what an unprivileged user namespace needs that this
// host lacks, as one line each (user.max_user_namespaces, Debian's
// kernel.unprivileged_userns_clone, a subuid/subgid range for maps beyond one's own id).
void check_rootless_prerequisites(const Spec& spec, const NamespacePlan& plan);

} // namespace rung
