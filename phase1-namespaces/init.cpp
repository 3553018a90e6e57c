// init: the first process of the container, from clone(2) to execve(2).
//
// Each step is a small function that leads with the rule it implements and narrates itself under
// --debug. container_init() is the ordered list of steps and the single exit point for errors.
#include "init.hpp"

#include "rung/error.hpp"
#include "rung/log.hpp"
#include "rung/sync.hpp"
#include "rung/sys.hpp"

#include <csignal>
#include <cstdlib>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

namespace rung {
namespace {

constexpr const char* kDefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

// CLONE_NEWNS gives init a copy of the host's mount table, but copies of shared mounts stay
// joined to the host's peer group: a mount made here would appear on the host too. Make every
// mount private first, recursively, so nothing propagates out of the container.
void make_mounts_private() {
    sys::mount("", "/", "", MS_REC | MS_PRIVATE, "",
               "mount_namespaces(7): stop propagation to the host");
}

// The UTS namespace gives the container its own hostname; the host's is untouched.
void set_hostname(const std::string& name) {
    sys::sethostname(name, "config.md: hostname");
}

// Phase 1 changes the root with chroot(2). It only changes where path lookup starts: a process
// with CAP_SYS_CHROOT can walk back out (docs/01-namespaces.md shows how). Phase 3 replaces it
// with pivot_root(2), which moves the old root away entirely.
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

// What execvp(3) would run: a directory of the same name earlier in PATH is passed over.
bool is_executable_file(const std::string& path) {
    struct stat st;
    return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
           ::access(path.c_str(), X_OK) == 0;
}

// execve(2) does not search PATH, and glibc's execvpe() searches the runtime's own PATH, not the
// container's. So look the command up ourselves, inside the new root, in the container's PATH.
std::string find_executable(const std::string& cmd, const std::string& path) {
    if (cmd.find('/') != std::string::npos) return cmd;
    size_t start = 0;
    for (;;) {
        size_t end = path.find(':', start);
        std::string dir = path.substr(start, end - start);
        std::string candidate = (dir.empty() ? "." : dir) + "/" + cmd;
        if (is_executable_file(candidate)) return candidate;
        if (end == std::string::npos) break;
        start = end + 1;
    }
    // A shell's convention: 127 when the command is not found.
    throw Error("exec " + quote(cmd) + ": executable file not found in $PATH").set_exit_status(127);
}

[[noreturn]] void exec_process(const std::vector<std::string>& args) {
    const char* term = std::getenv("TERM");
    std::vector<std::string> env = {std::string("PATH=") + kDefaultPath,
                                    std::string("TERM=") + (term ? term : "xterm"), "HOME=/root"};
    std::string file = find_executable(args[0], kDefaultPath);

    // The runtime blocked signals to forward them; the container starts with none blocked.
    sigset_t none;
    sigemptyset(&none);
    sys::sigprocmask(SIG_SETMASK, none);

    try {
        sys::execve(file, args, env, "config.md: process.args");
    } catch (Error& e) {
        // ...and 126 when it exists but cannot be executed.
        e.set_exit_status(e.err() == ENOENT ? 127 : 126);
        throw;
    }
}

} // namespace

void container_init(const RunOptions& opts, int sync_fd) {
    try {
        make_mounts_private();
        set_hostname(opts.hostname);
        enter_rootfs(opts.rootfs);
        mount_proc();
        exec_process(opts.args);
    } catch (const Error& e) {
        sync::send(sync_fd, sync::Type::error, e.err(), e.message());
        ::_exit(e.exit_status());
    } catch (const std::exception& e) {
        sync::send(sync_fd, sync::Type::error, 0, e.what());
    }
    ::_exit(1);
}

} // namespace rung
