// process: the container process's own steps, the last ones before its program runs.
//
// Init runs them after `rung start`, `rung exec` in its child after joining the namespaces. They
// touch only the calling process: its fds, its credentials, its signal mask, its program.
#include "process.hpp"

#include "rung/error.hpp"
#include "rung/fault.hpp"
#include "rung/fd.hpp"
#include "rung/log.hpp"
#include "rung/sys.hpp"

#include <csignal>
#include <fcntl.h>
#include <filesystem>
#include <sys/stat.h>
#include <unistd.h>

namespace rung {
namespace {

// What execvp(3) searches when the environment has no PATH.
constexpr const char* kDefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

// config.md, process.user: supplementary groups first, then the group, then the user: once the
// uid is not 0 the others can no longer be changed. With no additionalGids the runtime's own
// supplementary groups are dropped, not inherited.
void set_user(const User& user) {
    std::vector<gid_t> groups(user.additional_gids.begin(), user.additional_gids.end());
    sys::setgroups(groups, "config.md: process.user, additionalGids");
    sys::setgid(user.gid, "config.md: process.user, gid");
    sys::setuid(user.uid, "config.md: process.user, uid");
    if (user.umask) sys::umask(static_cast<mode_t>(*user.umask), "config.md: process.user, umask");
}

// A shell's convention for a command it cannot run: 127 not found, 126 found but not executable.
Error exec_error(const std::string& file, int err) {
    Error e("exec " + quote(file), err);
    e.set_exit_status(err == ENOENT ? 127 : 126);
    return e;
}

// What execvp(3) would run: a directory of the same name earlier in PATH is passed over.
bool is_executable_file(const std::string& path) {
    struct stat st;
    return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
           ::access(path.c_str(), X_OK) == 0;
}

// `rung run` blocked signals to forward them; a new program starts with none blocked.
void unblock_all_signals() {
    sigset_t none;
    sigemptyset(&none);
    sys::sigprocmask(SIG_SETMASK, none, "rung: a new program starts with no signal blocked");
}

} // namespace

// runtime-linux.md, "File descriptors": only stdin, stdout and stderr stay open for the
// application. rung opens all its own fds O_CLOEXEC, so they vanish at execve. What our caller
// let us inherit (no FD_CLOEXEC) is closed now: a container process must not hold, say, a pipe
// whose other end its caller reads until EOF, nor a file of the host's. Except the
// `preserve_fds` after stderr that the caller passes on on purpose (exec --preserve-fds N).
void close_inherited_fds(std::string_view who, int preserve_fds) {
    std::vector<int> inherited;
    for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
        int fd = std::stoi(entry.path().filename());
        int flags = ::fcntl(fd, F_GETFD);
        if (fd > STDERR_FILENO + preserve_fds && flags != -1 && !(flags & FD_CLOEXEC))
            inherited.push_back(fd);
    }
    for (int fd : inherited) {
        log::trace(who, "runtime-linux.md: File descriptors", "close(", fd, ")");
        unique_fd(fd).reset();
    }
}

// A path is looked up from the container's root, but a magic link can leave it:
// /proc/self/fd/N of a directory fd the process still holds names that directory wherever it
// is, and a cwd on the host would let the program walk the host's tree with "..". That is
// CVE-2024-21626 (runc's leaked fd, reached through an image's WORKDIR). getcwd(3) tells: it
// fails with ENOENT for a working directory the root does not reach.
void enter_cwd(const std::string& cwd) {
    sys::chdir(cwd, "config.md: process.cwd");
    try {
        sys::getcwd("config.md: process.cwd is inside the container");
    } catch (const Error& e) {
        if (e.err() != ENOENT) throw;
        throw Error("process.cwd " + quote(cwd) +
                    " is a directory outside the container's root (a /proc/self/fd link?)");
    }
}

// config.md, process.args: args[0] has execvp's semantics, searched in the container's PATH (from
// process.env, never the runtime's), inside the new root.
std::string find_executable(const std::string& cmd, const std::vector<std::string>& env) {
    std::string path = kDefaultPath;
    for (const auto& e : env)
        if (e.rfind("PATH=", 0) == 0) path = e.substr(5);
    // A path is not searched, but what is there must still be a program: execve(2) of a
    // directory fails with EACCES, and that should fail create, not start.
    if (cmd.find('/') != std::string::npos) {
        if (is_executable_file(cmd)) return cmd;
        struct stat st;
        throw exec_error(cmd, ::stat(cmd.c_str(), &st) == -1 ? errno : EACCES);
    }
    for (size_t start = 0;;) {
        size_t end = path.find(':', start);
        std::string dir = path.substr(start, end - start);
        std::string candidate = (dir.empty() ? "." : dir) + "/" + cmd;
        if (is_executable_file(candidate)) return candidate;
        if (end == std::string::npos) break;
        start = end + 1;
    }
    throw Error("exec " + quote(cmd) + ": executable file not found in $PATH").set_exit_status(127);
}

// config.md, process: args and env exactly as given; the environment is the container's, not the
// runtime's.
void execute(const std::string& file, const std::vector<std::string>& args,
             const std::vector<std::string>& env) {
    unblock_all_signals();
    try {
        sys::execve(file, args, env, "config.md: process.args, process.env");
    } catch (Error& e) {
        throw e.set_exit_status(e.err() == ENOENT ? 127 : 126);
    }
}

void exec_process(const Process& process) {
    // phase 5: process.rlimits (setrlimit), while still root: raising a hard limit needs
    // CAP_SYS_RESOURCE.
    // phase 5: keep the capabilities across the uid change (PR_SET_KEEPCAPS).
    set_user(process.user);
    fault::point("process:user");
    // phase 5: process.capabilities (bounding, then the other sets), then
    // process.noNewPrivileges, then linux.seccomp, last so that the filter need not allow the
    // steps before it.
    std::string file = find_executable(process.args[0], process.env);
    execute(file, process.args, process.env);
}

} // namespace rung
