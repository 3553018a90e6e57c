// init: the first process of the container, from clone(2) to execve(2).
//
// Each step is a small function that leads with the rule it implements and narrates itself under
// --debug. container_init() is the ordered list of steps and the single exit point for errors.
//
// Phase 2 splits the list in two. Everything up to report_ready() is `create`; then init blocks
// on the exec FIFO until `rung start` opens it, and only then execs the user's program.
#include "init.hpp"

#include "process.hpp"
#include "rung/error.hpp"
#include "rung/fault.hpp"
#include "rung/fd.hpp"
#include "rung/file.hpp"
#include "rung/log.hpp"
#include "rung/sync.hpp"
#include "rung/sys.hpp"

#include <csignal>
#include <fcntl.h>
#include <sys/mount.h>
#include <unistd.h>

namespace rung {
namespace {

// CLONE_NEWNS gives init a copy of the host's mount table, but copies of shared mounts stay
// joined to the host's peer group: a mount made here would appear on the host too. Make every
// mount private first, recursively, so nothing propagates out of the container.
void make_mounts_private() {
    sys::mount("", "/", "", MS_REC | MS_PRIVATE, "",
               "mount_namespaces(7): stop propagation to the host");
}

// The UTS namespace gives the container its own hostname; the host's is untouched. Without a
// hostname in config.json the namespace keeps the copy of the host's it started with.
void set_hostname(const std::string& name) {
    if (name.empty()) return;
    sys::sethostname(name, "config.md: hostname");
}

// runtime.md, "Create": process.args MUST NOT run until start. Init will wait for start on the
// exec FIFO in the state directory, a path it can no longer name once it has left the host's
// root. So hold the FIFO now with O_PATH, which names the inode without opening it for I/O and
// therefore does not block.
unique_fd hold_exec_fifo(const std::string& path) {
    log::trace("init", "runtime.md: Create, process.args MUST NOT be applied yet", "open(",
               quote(path), ", O_PATH)");
    return open_file(path, O_PATH);
}

// Phases 1 and 2 change the root with chroot(2). It only changes where path lookup starts: a
// process with CAP_SYS_CHROOT can walk back out (docs/01-namespaces.md shows how). Phase 3
// replaces it with pivot_root(2), which moves the old root away entirely.
void enter_rootfs(const std::string& rootfs) {
    sys::chroot(rootfs, "config.md: root.path");
    sys::chdir("/");
}

// A new PID namespace needs its own /proc: the host's would show the host's processes, and
// tools such as ps read /proc to see which processes exist.
void mount_proc() {
    constexpr unsigned long flags = MS_NOSUID | MS_NODEV | MS_NOEXEC;
    sys::mount("proc", "/proc", "proc", flags, "", "config-linux.md: default filesystems");
}

// config.md, process.cwd: the working directory for the executable. Applied at create (the spec
// allows the non-args process properties then) so that a bad cwd fails create, not start.
void enter_cwd(const std::string& cwd) {
    sys::chdir(cwd, "config.md: process.cwd");
}

// Before init touches anything, the runtime runs its parent-side steps (phase 4: the cgroup,
// phase 5: the uid and gid maps) and says "go", with our pid as the host sees it.
pid_t wait_for_go(int sync_fd) {
    return sync::expect(sync_fd, sync::Type::go, "init").pid;
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
// for reading, and that someone is `rung start`. The FIFO is reopened through the container's
// own /proc: /proc/self/fd/N of the O_PATH fd leads to the inode, whatever our root is now. One
// byte tells start we are off. The write end stays open until execve closes it (O_CLOEXEC):
// start reads EOF when the program runs, or an error frame if execve fails.
unique_fd wait_for_start(int held_fifo) {
    std::string path = "/proc/self/fd/" + std::to_string(held_fifo);
    log::trace("init", "runtime.md: Start, blocks until start opens the FIFO", "open(", quote(path),
               ", O_WRONLY)");
    unique_fd fifo = open_file(path, O_WRONLY);
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

void container_init(const Spec& spec, const std::string& rootfs, const std::string& fifo_path,
                    int sync_fd) {
    log::set_actor("init"); // who speaks in the --debug narration from here on
    unique_fd started;      // the FIFO's write end, once start has opened it
    try {
        wait_for_go(sync_fd);
        fault::point("init:go");
        close_inherited_fds("init");
        make_mounts_private();
        set_hostname(spec.hostname);
        unique_fd fifo = hold_exec_fifo(fifo_path);
        enter_rootfs(rootfs);
        fault::point("init:root-entered");
        mount_proc();
        enter_cwd(spec.process.cwd);
        find_executable(spec.process.args[0], spec.process.env); // fail create, not start
        report_ready(sync_fd);
        fault::point("init:ready");
        wait_for_commit(sync_fd);
        fault::point("init:committed");
        started = wait_for_start(fifo.get());
        fault::point("init:started");
        exec_process(spec.process);
    } catch (const std::exception& e) {
        report_failure(sync_fd, started.get(), e);
        ::_exit(exit_status_of(e));
    }
}

} // namespace rung
