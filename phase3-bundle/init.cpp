// init: the first process of the container, from clone3(2) to execve(2).
//
// Each step is a small function that leads with the rule it implements and narrates itself under
// --debug. container_init() is the ordered list of steps and the single exit point for errors.
//
// Phase 3 takes every step from config.json. The list follows runtime.md's lifecycle: build the
// environment (namespaces, mounts, /dev, names), let the runtime run its create hooks, run the
// createContainer hooks, pivot_root, report ready; then, after `rung start`, the startContainer
// hooks and the user's program.
#include "init.hpp"

#include "dev.hpp"
#include "hooks.hpp"
#include "process.hpp"
#include "rootfs.hpp"
#include "rung/error.hpp"
#include "rung/fault.hpp"
#include "rung/fd.hpp"
#include "rung/file.hpp"
#include "rung/log.hpp"
#include "rung/sync.hpp"
#include "rung/sys.hpp"
#include "state.hpp"
#include "terminal.hpp"

#include <algorithm>
#include <csignal>
#include <fcntl.h>
#include <optional>
#include <sched.h>
#include <unistd.h>

namespace rung {
namespace {

// config.md, hostname and domainname: set in the container's UTS namespace (the runtime checked
// that there is one). Unset: keep the copy of the host's the namespace started with.
void set_names(const Spec& spec) {
    if (!spec.hostname.empty()) sys::sethostname(spec.hostname, "config.md: hostname");
    if (!spec.domainname.empty()) sys::setdomainname(spec.domainname, "config.md: domainname");
}

// config.md, process.oomScoreAdj: written to /proc/self/oom_score_adj before the user changes
// (lowering it needs CAP_SYS_RESOURCE); the program inherits it across execve. Unset: left as it
// is, the runtime's.
void set_oom_score_adj(const std::optional<int32_t>& adj) {
    if (!adj) return;
    log::trace("init", "config.md: process.oomScoreAdj", "write(\"/proc/self/oom_score_adj\", ",
               *adj, ")");
    write_file("/proc/self/oom_score_adj", std::to_string(*adj));
}

// runtime.md, "Create": process.args MUST NOT run until start. Init will wait for start on the
// exec FIFO in the state directory, a path it can no longer name once it has left the host's
// root or joined another mount namespace. So hold the directory now with O_PATH, which names it
// without opening it for I/O; at start the FIFO is opened from it by name. (Phase 2 reopened an
// O_PATH fd of the FIFO through /proc/self/fd; from phase 3 on config.json may give the
// container no /proc.)
unique_fd hold_state_dir(const std::string& fifo_path) {
    return sys::open(fifo_path.substr(0, fifo_path.rfind('/')), O_PATH | O_DIRECTORY | O_CLOEXEC, 0,
                     "runtime.md: Create, process.args MUST NOT be applied yet");
}

// Before init touches anything, the runtime runs its parent-side steps (phase 4: the cgroup,
// phase 5: the uid and gid maps) and says "go", with our pid as the host sees it: the state the
// hooks receive names it.
pid_t wait_for_go(int sync_fd) {
    return sync::expect(sync_fd, sync::Type::go, "init").pid;
}

// config.md, hooks: prestart and createRuntime run in the runtime's namespaces, after the
// container's mounts and before pivot_root. Tell the runtime we got here and wait until it has
// run them.
void let_runtime_run_create_hooks(int sync_fd) {
    log::trace("init", "config.md: prestart, createRuntime hooks", "send(sync, mounted)");
    sync::send(sync_fd, sync::Type::mounted);
    sync::expect(sync_fd, sync::Type::resume, "init");
}

// config-linux.md, sysctl: written through the container's own /proc, after pivot_root. The
// runtime checked that every key belongs to a namespace the container has.
void apply_sysctl(const Spec& spec) {
    for (const auto& [key, value] : spec.linux.sysctl) {
        std::string path = "/proc/sys/" + key;
        std::replace(path.begin() + 10, path.end(), '.', '/');
        log::trace("init", "config-linux.md: sysctl", "write(", quote(path), ", ", quote(value),
                   ")");
        // &value = value: clang before 16 cannot capture a structured binding (P1091).
        with_context("sysctl " + quote(key), [&, &value = value] { write_file(path, value); });
    }
}

// runtime.md, lifecycle step 2 is done: the environment exists and the program has not run.
// `rung create` may now write the state and exit.
void report_ready(int sync_fd) {
    log::trace("init", "runtime.md: Create done, waiting for start", "send(sync, ready)");
    sync::send(sync_fd, sync::Type::ready);
}

// Create is a transaction: it is done once the runtime has written state.json and the pid file.
// If the runtime dies before that (EOF), nothing could ever start or delete this init: exit.
void wait_for_commit(int sync_fd) {
    sync::expect(sync_fd, sync::Type::committed, "init");
}

// runtime.md, "Start". Opening a FIFO for writing blocks in the kernel until someone opens it
// for reading, and that someone is `rung start`. The FIFO is opened by name from the held state
// directory, whatever our root is now. One byte tells start we are off. The write end stays open
// until execve closes it (O_CLOEXEC): start reads EOF when the program runs, or an error frame if
// execve fails.
unique_fd wait_for_start(int state_dir, const std::string& fifo_path) {
    unique_fd fifo =
        sys::openat(state_dir, fifo_path.substr(fifo_path.rfind('/') + 1), O_WRONLY | O_CLOEXEC, 0,
                    "runtime.md: Start, blocks until start opens the FIFO");
    log::trace("init", "", "write(fifo, \"0\")   # started");
    write_full(fifo.get(), "0");
    return fifo;
}

// One transport for every error: an error frame, on the sync socket before start, and on the
// exec FIFO after it, where `rung start` reads it.
void report_failure(int sync_fd, int started_fd, const std::exception& e) noexcept {
    if (started_fd >= 0) {
        // If start went away, the write fails instead of killing us with SIGPIPE; init exits
        // next anyway, so the ignored disposition never reaches a program.
        ::signal(SIGPIPE, SIG_IGN);
        sync_fd = started_fd;
    }
    sync::send_error(sync_fd, e);
}

} // namespace

void container_init(const InitContext& ctx) {
    const Spec& spec = ctx.spec;
    log::set_actor("init"); // who speaks in the --debug narration from here on
    unique_fd started;      // the FIFO's write end, once start has opened it
    // config-linux.md, namespaces: without a new "mount" entry the namespace is the runtime's
    // or a joined one, not the container's to change (rootfs.cpp).
    bool own_mount_ns = ctx.plan.clone_flags & CLONE_NEWNS;
    try {
        pid_t host_pid = wait_for_go(ctx.sync_fd);
        fault::point("init:go");
        close_inherited_fds("init");
        unique_fd state_dir = hold_state_dir(ctx.fifo_path);
        join_namespaces(ctx.plan);
        fault::point("init:namespaces");
        prepare_rootfs(spec, own_mount_ns);
        fault::point("init:rootfs-prepared");
        mount_all(spec);
        fault::point("init:mounts");
        setup_dev(spec);
        fault::point("init:dev");
        set_names(spec);
        set_oom_score_adj(spec.process.oom_score_adj);
        let_runtime_run_create_hooks(ctx.sync_fd);
        run_hooks(spec.hooks.create_container, "createContainer",
                  hook_state(ctx.id, host_pid, ctx.bundle, ctx.spec.annotations, Status::creating));
        fault::point("hook:createContainer");
        enter_rootfs(spec.root.path, ctx.no_pivot, own_mount_ns);
        fault::point("init:root-entered");
        finish_rootfs(spec);
        finish_dev(spec);
        fault::point("init:rootfs-finished");
        apply_sysctl(spec);
        if (spec.process.terminal)
            mount_console(setup_terminal(ctx.console_fd, ctx.id, spec.process.console_size,
                                         spec.process.user));
        enter_cwd(spec.process.cwd);
        find_executable(spec.process.args[0], spec.process.env); // fail create, not start
        report_ready(ctx.sync_fd);
        fault::point("init:ready");
        wait_for_commit(ctx.sync_fd);
        fault::point("init:committed");
        started = wait_for_start(state_dir.get(), ctx.fifo_path);
        fault::point("init:started");
        run_hooks(spec.hooks.start_container, "startContainer",
                  hook_state(ctx.id, host_pid, ctx.bundle, ctx.spec.annotations, Status::created));
        fault::point("hook:startContainer");
        exec_process(spec.process);
    } catch (const std::exception& e) {
        report_failure(ctx.sync_fd, started.get(), e);
        ::_exit(exit_status_of(e));
    }
}

} // namespace rung
