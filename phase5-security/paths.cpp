// paths: linux.readonlyPaths and linux.maskedPaths (config-linux.md), after pivot_root.
//
// Both name paths of the container's own view, so they wait until the rootfs is "/" and its
// /proc and /sys are mounted. Each path is looked up in "/" with openat2 RESOLVE_IN_ROOT
// (rootfs.hpp) and mounted on through the fd the lookup returned, with the mount API
// (open_tree, move_mount, mount_setattr), which takes fds and needs no /proc: the container may
// have none, and its /proc is what is being masked. As runc does, a path that does not exist is
// skipped (a kernel without /proc/sched_debug, a container without /sys).
#include "paths.hpp"

#include "rootfs.hpp"
#include "rung/error.hpp"
#include "rung/log.hpp"
#include "rung/sys.hpp"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <vector>

namespace rung {
namespace {

// Call `apply` with the fd of each of `paths` in "/" that exists; the others are skipped,
// traced. `what` names the list in errors: "linux.maskedPaths".
template <typename F>
void for_each_there(const std::vector<std::string>& paths, const std::string& what,
                    std::string_view rule, F apply) {
    if (paths.empty()) return;
    unique_fd root = open_rootfs("/");
    for (const auto& path : paths) {
        unique_fd target;
        try {
            target = open_in_rootfs(root.get(), path, rule);
        } catch (const Error& e) {
            if (e.err() != ENOENT) throw;
            log::trace("init", rule, quote(path), " does not exist: skipped");
            continue;
        }
        with_context(what + " " + quote(path), [&] { apply(root.get(), path, target.get()); });
    }
}

} // namespace

void readonly_paths(const Spec& spec) {
    constexpr std::string_view rule = "config-linux.md: readonlyPaths";
    for_each_there(spec.linux.readonly_paths, "linux.readonlyPaths", rule,
                   [&](int, const std::string&, int target) {
                       // A bind of the path onto itself (with what is mounted below it, as runc's
                       // rbind), made read-only while it is still detached, then put in place: it
                       // is never there writable. mount_setattr changes only MOUNT_ATTR_RDONLY; the
                       // nosuid, nodev and noexec the path already had are kept. Like runc's
                       // remount, the mounts below keep theirs.
                       unique_fd tree = sys::open_tree(target, "",
                                                       OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC |
                                                           AT_RECURSIVE | AT_EMPTY_PATH,
                                                       rule);
                       struct mount_attr attr {};
                       attr.attr_set = MOUNT_ATTR_RDONLY;
                       sys::mount_setattr(tree.get(), "", AT_EMPTY_PATH, attr, rule);
                       sys::move_mount(tree.get(), "", target, "",
                                       MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH, rule);
                   });
}

void mask_paths(const Spec& spec) {
    constexpr std::string_view rule = "config-linux.md: maskedPaths";
    for_each_there(spec.linux.masked_paths, "linux.maskedPaths", rule,
                   [&](int root, const std::string& path, int target) {
                       struct stat st;
                       check(::fstat(target, &st), "stat " + quote(path));
                       if (S_ISDIR(st.st_mode)) {
                           // An empty read-only tmpfs over the directory. mount(2) takes a path, so
                           // stand in the directory the lookup found and mount on "."; no /proc
                           // needed.
                           sys::fchdir(target, rule);
                           sys::mount("tmpfs", ".", "tmpfs", MS_RDONLY, "", rule);
                           sys::chdir("/", rule);
                       } else {
                           // /dev/null over a file: reads give nothing, writes vanish. The
                           // container's own /dev/null, cloned as a bind mount and attached onto
                           // the file's fd.
                           unique_fd null = sys::open_tree(
                               root, "/dev/null", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC, rule);
                           sys::move_mount(null.get(), "", target, "",
                                           MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH, rule);
                       }
                   });
}

} // namespace rung
