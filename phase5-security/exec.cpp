// exec and ps.
//
// `rung exec` starts a process in a container that already runs: it enters every namespace of
// the container's init (setns(2) on /proc/PID/ns/*) and then takes the same last steps as init,
// from process.user to execve. The pid and time namespaces apply to children, so the runtime
// enters those itself before clone3, and the child joins the others. Like init, the process
// starts inside the container's cgroup (clone3's CLONE_INTO_CGROUP), so the container's limits
// hold it and `kill --all` and delete reach it.
#include "exec.hpp"

#include "cgroups.hpp"
#include "foreground.hpp"
#include "keyring.hpp"
#include "namespaces.hpp"
#include "process.hpp"
#include "processes.hpp"
#include "reexec.hpp"
#include "rootfs.hpp"
#include "rung/error.hpp"
#include "rung/fault.hpp"
#include "rung/file.hpp"
#include "rung/log.hpp"
#include "rung/sync.hpp"
#include "rung/sys.hpp"
#include "seccomp.hpp"
#include "state.hpp"
#include "terminal.hpp"
#include "userns.hpp"

#include <algorithm>
#include <cstdio>
#include <fcntl.h>
#include <filesystem>
#include <iostream>
#include <iterator>
#include <memory>
#include <set>
#include <sstream>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

namespace rung {
namespace {

// The /proc/PID/ns names of the namespaces exec joins, with their config.md type names.
constexpr std::pair<const char*, const char*> kNamespaceFiles[] = {
    {"user", "user"}, {"ipc", "ipc"},       {"uts", "uts"},   {"net", "network"},
    {"pid", "pid"},   {"cgroup", "cgroup"}, {"time", "time"}, {"mnt", "mount"},
};

ino_t ns_inode(const std::string& path) {
    struct stat st;
    return ::stat(path.c_str(), &st) == 0 ? st.st_ino : 0;
}

// Every namespace of init that is not already ours; setns(2) into one's own user namespace
// fails, and joining the others we share would be a no-op.
NamespacePlan namespaces_of(pid_t pid) {
    std::vector<Namespace> list;
    for (const auto& [file, type] : kNamespaceFiles) {
        std::string theirs = "/proc/" + std::to_string(pid) + "/ns/" + file;
        ino_t ino = ns_inode(theirs);
        if (ino != 0 && ino != ns_inode(std::string("/proc/self/ns/") + file))
            list.push_back({type, theirs});
    }
    return plan_namespaces(list);
}

// A created or running container (runtime.md: a stopped one has no namespaces left to join, nor
// processes to list). `command` is the one that needs it, for the message. A paused one will do
// for reading (`ps`, as runc allows), not for exec: its new process would start frozen.
State running_state(const ContainerDir& dir, const std::string& command, bool paused_ok = false) {
    State st = dir.read_state();
    Status s = dir.status(st);
    if (s != Status::created && s != Status::running && !(paused_ok && s == Status::paused))
        throw Error("container " + quote(dir.id()) + " is " + status_name(s) + ": " + command +
                    " needs a created" + (paused_ok ? ", running or paused" : " or running") +
                    " container");
    return st;
}

// The output of `cmd` run by the shell, whole, or an error if it failed: a table is only printed
// once ps has succeeded.
std::string output_of(const std::string& cmd) {
    std::unique_ptr<FILE, int (*)(FILE*)> out(::popen(cmd.c_str(), "r"), ::pclose);
    if (!out) throw_errno("run " + quote(cmd));
    std::string text;
    char buf[4096];
    for (size_t n; (n = std::fread(buf, 1, sizeof buf, out.get())) > 0;)
        text.append(buf, n);
    int status = ::pclose(out.release());
    if (status == -1) throw_errno("wait for " + quote(cmd));
    if (status != 0)
        throw Error(quote(cmd) + " failed (exit status " +
                    std::to_string(sys::exit_code_of(status)) + ")");
    return text;
}

// The cgroup the process starts in: the container's, or --cgroup's sub-cgroup of it, which
// must exist (runc's "existing sub-cgroup").
cgroups::Cgroup exec_cgroup(const State& st, const std::string& sub) {
    cgroups::Cgroup own = container_cgroup(st);
    if (sub.empty()) return own;
    cgroups::Cgroup cg(cgroups::find_hierarchy(), exec_cgroup_path(own.path(), sub));
    if (!is_directory(cg.dir()))
        throw Error("--cgroup " + quote(sub) + ": there is no cgroup " + quote(cg.dir()) +
                    " (exec joins an existing sub-cgroup of the container's)");
    return cg;
}

// The new process's pid, as the runtime sees it: /proc is still the host's.
pid_t host_pid() {
    return std::stoi(std::filesystem::read_symlink("/proc/self").string());
}

// config-linux.md, seccomp: the container's linux.seccomp holds for every process of it (runc
// applies it to exec too). Compiled by the runtime before the clone, so a profile this host
// cannot load fails here, or found in the cache that create filled (same root); the child
// connects to the agent before it joins the mount namespace.
std::optional<seccomp::Filter> exec_seccomp(const ExecOptions& opts) {
    if (!opts.seccomp) return std::nullopt;
    return with_context("config.json",
                        [&] { return seccomp::cached_filter(*opts.seccomp, opts.root); });
}

[[noreturn]] void exec_child(const ExecOptions& opts, const NamespacePlan& plan,
                             const cgroups::Cgroup* join, int root_fd, int console_fd, int sync_fd,
                             seccomp::Filter* filter, const std::string& container_state,
                             bool own_keyring) {
    log::set_actor("exec");
    try {
        hide_from_container();
        if (join) join->add_process(0); // 0: the writer itself
        close_inherited_fds("exec", opts.preserve_fds);
        if (filter) filter->connect_listener(host_pid(), container_state);
        join_namespaces(plan);
        fault::point("exec:namespaces");
        if (own_keyring) join_session_keyring(opts.id, false, false, "exec");
        // Joining init's mount namespace made its root ours, but a container without a mount
        // namespace of its own is chroot(2)ed in it: take init's root itself, as nsenter does.
        sys::fchdir(root_fd, "rung exec: the container's root");
        sys::chroot(".", "rung exec: the container's root");
        enter_cwd(opts.process.cwd);
        if (opts.process.terminal)
            setup_terminal(console_fd, opts.id, opts.process.console_size, opts.process.user);
        exec_process(opts.process, filter);
    } catch (const std::exception& e) {
        sync::send_error(sync_fd, e);
        ::_exit(exit_status_of(e));
    }
}

// EOF on the sync socket means execve succeeded (CLOEXEC closed it); a frame is the error.
void wait_for_exec(pid_t pid, int sync_fd) {
    try {
        sync::expect(sync_fd, sync::Type::eof, "rung");
    } catch (Error& e) {
        int status = sys::wait_for(pid);
        throw e.set_exit_status(WIFEXITED(status) && WEXITSTATUS(status) ? WEXITSTATUS(status) : 1);
    }
}

} // namespace

std::string exec_cgroup_path(const std::string& container, const std::string& sub) {
    std::string what = "--cgroup " + quote(sub);
    if (sub.find(':') != std::string::npos)
        throw Error(what + ": a \"controller:\" prefix names a cgroup v1 hierarchy; cgroup v2 "
                           "has one, so give the sub-cgroup's path alone");
    std::string out = container;
    std::istringstream parts(sub);
    for (std::string part; std::getline(parts, part, '/');) {
        if (part.empty() || part == ".") continue;
        if (part == "..") throw Error(what + ": \"..\" would leave the container's cgroup");
        out += "/" + part;
    }
    return out;
}

int exec_in_container(const ExecOptions& opts) {
    if (opts.process.terminal && opts.detach && opts.console_socket.empty())
        throw Error("exec --tty --detach needs --console-socket: nobody would hold the terminal");
    NamespacePlan plan;
    unique_fd root;
    std::optional<cgroups::Cgroup> cgroup;
    std::string container_state; // runtime.md's state, for a seccomp agent
    bool own_keyring = true;     // the container's session keyring, unless create kept the caller's
    {
        ContainerDir dir = ContainerDir::open(opts.root, opts.id, ContainerDir::Lock::shared);
        State st = running_state(dir, "exec");
        container_state = hook_state(st.id, st.pid, st.bundle, st.annotations, dir.status(st));
        plan = namespaces_of(st.pid);
        own_keyring = !st.no_new_keyring;
        root = sys::open("/proc/" + std::to_string(st.pid) + "/root",
                         O_PATH | O_DIRECTORY | O_CLOEXEC, 0, "rung exec: the container's root");
        // Rootless without a delegated cgroup, the container has none (container.cpp).
        if (!st.cgroup.empty() || !opts.cgroup.empty()) cgroup = exec_cgroup(st, opts.cgroup);
    }
    std::optional<seccomp::Filter> filter = exec_seccomp(opts);
    unique_fd cgroup_fd = cgroup ? cgroup->open() : unique_fd();
    unique_fd sigfd = opts.detach ? unique_fd() : block_signals();
    Console console = open_console(opts.process.terminal, opts.console_socket);
    // Named references, not a structured binding: the lambda below captures them, which clang
    // refuses for bindings before version 16 (P1091), and the sanitizer build is clang's.
    std::pair<unique_fd, unique_fd> ends = sys::socketpair();
    unique_fd &parent_end = ends.first, &child_end = ends.second;
    auto spawn = [&](unsigned long extra) {
        ChildNamespaces for_children(plan);
        log::trace("rung", "rung exec: join the container's namespaces and cgroup",
                   "clone3(CLONE_INTO_CGROUP ", quote(cgroup ? cgroup->dir() : "(none)"),
                   ", SIGCHLD)");
        sys::CloneArgs args;
        args.flags = extra;
        if (extra & CLONE_PARENT) args.exit_signal = 0; // clone3(2): the caller's, given as 0
        args.cgroup_fd = cgroup ? cgroup_fd.get() : -1;
        sys::Cloned child;
        // Where the kernel cannot start it in the cgroup, the child joins through cgroup.procs.
        bool in_cgroup = cgroups::clone_into_cgroup(args, child);
        if (child.pid == 0) {
            parent_end.reset();
            exec_child(opts, plan, in_cgroup || !cgroup ? nullptr : &*cgroup, root.get(),
                       console.init_end.get(), child_end.get(), filter ? &*filter : nullptr,
                       container_state, own_keyring);
        }
        if (extra & CLONE_PARENT) {
            for_children.stay();
        } else {
            try {
                for_children.restore();
            } catch (const Error& e) {
                // Rootless podman runs the runtime as root of a user namespace that does not own
                // the pid namespace it came from: the kernel refuses the way back (EPERM). The
                // runtime forks nothing more (it waits, or exits with --detach), so it stays.
                if (e.err() != EPERM || !in_user_namespace()) throw;
                log::trace("rung", "",
                           "cannot go back to the runtime's pid namespace from a user "
                           "namespace that does not own it: staying, nothing more is forked");
                for_children.stay();
            }
        }
        return child.pid;
    };
    // Rootless: the runtime has no right to enter the container's pid namespace for its child
    // until it is in the container's user namespace, which it could never leave again. A helper
    // joins it and clones the process as the runtime's child (CLONE_PARENT), as create does.
    const NamespaceJoin* user = ::geteuid() == 0 ? nullptr : joined_user_namespace(plan);
    pid_t pid = user ? clone_in_user_namespace(*user,
                                               [&](unsigned long extra) {
                                                   return HelperCloned{spawn(extra), true};
                                               })
                           .pid
                     : spawn(0);
    child_end.reset();
    fault::point("exec:clone");
    console.init_end.reset();
    wait_for_exec(pid, parent_end.get());
    fault::point("exec:exec");
    unique_fd pty;
    if (console.our_end) pty = receive_pty_master(console.our_end.get());
    if (!opts.pid_file.empty()) write_file_atomic(opts.pid_file, std::to_string(pid));
    if (opts.detach) return 0;
    return wait_in_foreground(pid, sigfd.get(), pty.get());
}

void ps_container(const std::string& root, const std::string& id, const std::string& format,
                  const std::vector<std::string>& ps_args) {
    ContainerDir dir = ContainerDir::open(root, id, ContainerDir::Lock::shared);
    State st = running_state(dir, "ps", true);
    std::set<pid_t> pids = container_pids(st);
    if (format == "json") {
        std::cout << json(std::vector<pid_t>(pids.begin(), pids.end())).dump() << "\n";
        return;
    }
    std::string cmd = "ps";
    for (std::string a : ps_args.empty() ? std::vector<std::string>{"-ef"} : ps_args) {
        for (size_t i = 0; (i = a.find('\'', i)) != std::string::npos; i += 4)
            a.replace(i, 1, "'\\''");
        cmd += " '" + a + "'"; // single-quoted for the shell popen runs
    }
    std::istringstream lines(output_of(cmd));
    int pid_column = -1;
    for (std::string line; std::getline(lines, line);) {
        std::istringstream words(line);
        std::vector<std::string> cols{std::istream_iterator<std::string>(words), {}};
        if (pid_column < 0) { // the header names the columns
            auto it = std::find(cols.begin(), cols.end(), "PID");
            if (it == cols.end()) throw Error(quote(cmd) + ": no PID column in its output");
            pid_column = static_cast<int>(it - cols.begin());
            std::cout << line << "\n";
        } else if (static_cast<int>(cols.size()) > pid_column &&
                   pids.count(std::atoi(cols[pid_column].c_str()))) {
            std::cout << line << "\n";
        }
    }
}

} // namespace rung
