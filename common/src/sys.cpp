// The kernel half of sys.hpp (the library rung_sys): one syscall per wrapper, narrated, and
// an Error naming the operation and its object when it fails. Unit tests link
// tests/unit/fake_sys.cpp in its place.
#include "rung/sys.hpp"

#include "rung/error.hpp"
#include "rung/log.hpp"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <grp.h>
#include <linux/bpf.h>
#include <linux/filter.h>
#include <linux/keyctl.h>
#include <linux/openat2.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/sendfile.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

namespace rung::sys {
namespace {

// A string argument as strace shows it: quoted, or NULL where the wrapper passes a null pointer.
std::string arg_or_null(const std::string& s) {
    return s.empty() ? "NULL" : quote(s);
}

const char* c_or_null(const std::string& s) {
    return s.empty() ? nullptr : s.c_str();
}

std::string octal(mode_t mode) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "0%o", static_cast<unsigned>(mode));
    return buf;
}

std::string ioctl_name(unsigned long request) {
    switch (request) {
    case TIOCSCTTY:
        return "TIOCSCTTY";
    case TIOCNOTTY:
        return "TIOCNOTTY";
    case TIOCGWINSZ:
        return "TIOCGWINSZ";
    case TIOCSWINSZ:
        return "TIOCSWINSZ";
    case TIOCSPTLCK:
        return "TIOCSPTLCK";
    case TIOCGPTN:
        return "TIOCGPTN";
    default:
        return "0x" + [&] {
            char buf[32];
            std::snprintf(buf, sizeof buf, "%lx", request);
            return std::string(buf);
        }();
    }
}

// The prctl(2) options rung uses, by name for the narration and errors; others as numbers.
std::string prctl_name(int option) {
    switch (option) {
    case PR_SET_PDEATHSIG:
        return "PR_SET_PDEATHSIG";
    case PR_SET_KEEPCAPS:
        return "PR_SET_KEEPCAPS";
    case PR_CAPBSET_DROP:
        return "PR_CAPBSET_DROP";
    case PR_CAP_AMBIENT:
        return "PR_CAP_AMBIENT";
    case PR_SET_NO_NEW_PRIVS:
        return "PR_SET_NO_NEW_PRIVS";
    case PR_SET_DUMPABLE:
        return "PR_SET_DUMPABLE";
    default:
        return std::to_string(option);
    }
}

// A list of strings for the narration: ["sh", "-c", "echo hi"].
std::string string_list(const std::vector<std::string>& v) {
    std::string out = "[";
    for (size_t i = 0; i < v.size(); ++i)
        out += (i ? ", " : "") + quote(v[i]);
    return out + "]";
}

std::vector<char*> c_strings(const std::vector<std::string>& v) {
    std::vector<char*> out;
    out.reserve(v.size() + 1);
    for (const auto& s : v)
        out.push_back(const_cast<char*>(s.c_str()));
    out.push_back(nullptr);
    return out;
}

// The object of an fd call in messages: "fd 5 (\"/run/x\")" when /proc can name it.
std::string fd_object(int fd) {
    std::string s = fd_string(fd);
    auto lt = s.find('<');
    if (lt == std::string::npos) return "fd " + s;
    return "fd " + s.substr(0, lt) + " (" + quote(s.substr(lt + 1, s.size() - lt - 2)) + ")";
}

// fd_string() reads /proc: only worth it when the line is printed.
std::string fd_arg(int fd) {
    return log::debug_enabled() ? fd_string(fd) : std::to_string(fd);
}

} // namespace

// ---- Processes -------------------------------------------------------------------------------

Cloned clone_process(const CloneArgs& a) {
    // clone3(2), not glibc's clone(): with no stack given, the child runs on a copy of the
    // parent's stack, exactly like fork(), so init is ordinary C++ code after this call. clone3
    // also takes every namespace flag (clone()'s low byte is the exit signal, which collides
    // with CLONE_NEWTIME), a cgroup to start in, and returns a pidfd with the pid.
    int pidfd = -1;
    clone_args args{};
    args.flags = a.flags | CLONE_PIDFD | (a.cgroup_fd >= 0 ? CLONE_INTO_CGROUP : 0);
    args.pidfd = reinterpret_cast<uintptr_t>(&pidfd);
    args.exit_signal = static_cast<unsigned>(a.exit_signal);
    if (a.cgroup_fd >= 0) args.cgroup = static_cast<unsigned>(a.cgroup_fd);
    long pid = ::syscall(SYS_clone3, &args, sizeof args);
    if (pid == -1) throw_errno("clone3(" + clone_flags_string(a.flags) + ")");
    // The child has no such fd: the kernel installs it in the parent only.
    if (pid == 0) return Cloned{};
    return Cloned{static_cast<pid_t>(pid), unique_fd(pidfd)};
}

pid_t fork(std::string_view rule) {
    log::step(rule, "fork()");
    return check(::fork(), "fork");
}

void execve(const std::string& path, const std::vector<std::string>& argv,
            const std::vector<std::string>& envp, std::string_view rule) {
    log::step(rule, "execve(", quote(path), ", ", string_list(argv), ", ", envp.size(), " env)");
    std::vector<char*> a = c_strings(argv), e = c_strings(envp);
    ::execve(path.c_str(), a.data(), e.data());
    throw_errno("exec " + quote(path));
}

void fexecve(int fd, const std::string& what, const std::vector<std::string>& argv,
             const std::vector<std::string>& envp, std::string_view rule) {
    log::step(rule, "execveat(", fd_arg(fd), ", \"\", ", string_list(argv), ", ", envp.size(),
              " env, AT_EMPTY_PATH)");
    std::vector<char*> a = c_strings(argv), e = c_strings(envp);
    ::fexecve(fd, a.data(), e.data());
    throw_errno("exec " + what);
}

void kill(pid_t pid, int sig, std::string_view rule) {
    log::step(rule, "kill(", pid, ", ", signal_name(sig), ")");
    check(::kill(pid, sig), "kill " + std::to_string(pid) + " with " + signal_name(sig));
}

// glibc 2.36 has wrappers for these two, Ubuntu 22.04's 2.35 does not: call the kernel directly.
unique_fd pidfd_open(pid_t pid, std::string_view rule) {
    log::step(rule, "pidfd_open(", pid, ", 0)");
    long fd = ::syscall(SYS_pidfd_open, pid, 0);
    if (fd == -1) throw_errno("pidfd_open " + std::to_string(pid));
    return unique_fd(static_cast<int>(fd));
}

void pidfd_send_signal(int pidfd, int sig, pid_t pid, std::string_view rule) {
    log::step(rule, "pidfd_send_signal(", fd_arg(pidfd), ", ", signal_name(sig), ")");
    if (::syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0) == -1)
        throw_errno("kill " + std::to_string(pid) + " with " + signal_name(sig));
}

int wait_for(pid_t pid, std::string_view rule) {
    int status = 0;
    waitpid(pid, status, 0, rule);
    return status;
}

pid_t waitpid(pid_t pid, int& status, int options, std::string_view rule) {
    pid_t got;
    while ((got = ::waitpid(pid, &status, options)) == -1) {
        if (errno != EINTR) throw_errno("waitpid " + std::to_string(pid));
    }
    if (got != 0) log::step(rule, "waitpid(", pid, ") = exit code ", exit_code_of(status));
    return got;
}

pid_t setsid(std::string_view rule) {
    log::step(rule, "setsid()");
    return check(::setsid(), "setsid");
}

void setpgid(pid_t pid, pid_t pgid, std::string_view rule) {
    log::step(rule, "setpgid(", pid, ", ", pgid, ")");
    check(::setpgid(pid, pgid), "setpgid " + std::to_string(pid));
}

int prctl(int option, unsigned long arg2, unsigned long arg3, std::string_view rule) {
    log::step(rule, "prctl(", prctl_name(option), ", ", arg2, ", ", arg3, ")");
    return check(::prctl(option, arg2, arg3, 0UL, 0UL), "prctl " + prctl_name(option));
}

void setrlimit(int resource, std::string_view name, const struct rlimit& limit,
               std::string_view rule) {
    log::step(rule, "setrlimit(", name, ", {soft=", limit.rlim_cur, ", hard=", limit.rlim_max,
              "})");
    check(::setrlimit(resource, &limit), "setrlimit " + std::string(name));
}

void sigprocmask(int how, const sigset_t& set, std::string_view rule) {
    const char* name = how == SIG_BLOCK     ? "SIG_BLOCK"
                       : how == SIG_UNBLOCK ? "SIG_UNBLOCK"
                                            : "SIG_SETMASK";
    std::string sigs;
    for (int sig = 1; sig < NSIG; ++sig)
        if (sigismember(&set, sig) == 1) sigs += (sigs.empty() ? "" : "|") + signal_name(sig);
    log::step(rule, "sigprocmask(", name, ", [", sigs, "])");
    check(::sigprocmask(how, &set, nullptr), "sigprocmask");
}

unique_fd signalfd(const sigset_t& set, int flags, std::string_view rule) {
    std::string names = (flags & SFD_CLOEXEC) ? "SFD_CLOEXEC" : "";
    if (flags & SFD_NONBLOCK) names += names.empty() ? "SFD_NONBLOCK" : "|SFD_NONBLOCK";
    log::step(rule, "signalfd(-1, mask, ", names.empty() ? "0" : names, ")");
    return unique_fd(check(::signalfd(-1, &set, flags), "signalfd"));
}

// ---- Namespaces and identity -----------------------------------------------------------------

void unshare(int flags, std::string_view rule) {
    std::string names = clone_flags_string(static_cast<unsigned long>(flags));
    log::step(rule, "unshare(", names, ")");
    check(::unshare(flags), "unshare " + names);
}

void setns(int fd, int nstype, std::string_view rule) {
    std::string type = clone_flags_string(static_cast<unsigned long>(nstype));
    log::step(rule, "setns(", fd_arg(fd), ", ", type, ")");
    check(::setns(fd, nstype), "setns " + fd_object(fd));
}

void sethostname(const std::string& name, std::string_view rule) {
    log::step(rule, "sethostname(", quote(name), ")");
    check(::sethostname(name.data(), name.size()), "sethostname " + quote(name));
}

void setdomainname(const std::string& name, std::string_view rule) {
    log::step(rule, "setdomainname(", quote(name), ")");
    check(::setdomainname(name.data(), name.size()), "setdomainname " + quote(name));
}

void setgroups(const std::vector<gid_t>& groups, std::string_view rule) {
    std::string list;
    for (gid_t g : groups)
        list += (list.empty() ? "" : ", ") + std::to_string(g);
    log::step(rule, "setgroups(", groups.size(), ", [", list, "])");
    check(::setgroups(groups.size(), groups.data()), "setgroups [" + list + "]");
}

void setgid(gid_t gid, std::string_view rule) {
    log::step(rule, "setgid(", gid, ")");
    check(::setgid(gid), "setgid " + std::to_string(gid));
}

void setuid(uid_t uid, std::string_view rule) {
    log::step(rule, "setuid(", uid, ")");
    check(::setuid(uid), "setuid " + std::to_string(uid));
}

mode_t umask(mode_t mask, std::string_view rule) {
    log::step(rule, "umask(", octal(mask), ")");
    return ::umask(mask);
}

// ---- Mounts and the root ---------------------------------------------------------------------

void mount(const std::string& source, const std::string& target, const std::string& fstype,
           unsigned long flags, const std::string& data, std::string_view rule) {
    log::step(rule, "mount(", arg_or_null(source), ", ", quote(target), ", ", arg_or_null(fstype),
              ", ", mount_flags_string(flags), data.empty() ? "" : ", " + quote(data), ")");
    if (::mount(c_or_null(source), target.c_str(), c_or_null(fstype), flags, c_or_null(data)) ==
        -1) {
        std::string what = "mount " + quote(source) + " on " + quote(target);
        if (!fstype.empty()) what += " (type " + fstype + ")";
        if (flags != 0) what += " [" + mount_flags_string(flags) + "]";
        throw_errno(what);
    }
}

void umount2(const std::string& target, int flags, std::string_view rule) {
    log::step(rule, "umount2(", quote(target), ", ", flags == MNT_DETACH ? "MNT_DETACH" : "",
              flags == MNT_DETACH ? "" : std::to_string(flags), ")");
    check(::umount2(target.c_str(), flags), "umount " + quote(target));
}

void mount_setattr(int dirfd, const std::string& path, unsigned int flags,
                   const struct mount_attr& attr, std::string_view rule) {
    log::step(rule, "mount_setattr(", dirfd == AT_FDCWD ? "AT_FDCWD" : fd_arg(dirfd), ", ",
              quote(path), ", ",
              flags == AT_RECURSIVE                     ? "AT_RECURSIVE"
              : flags == AT_EMPTY_PATH                  ? "AT_EMPTY_PATH"
              : flags == (AT_RECURSIVE | AT_EMPTY_PATH) ? "AT_RECURSIVE|AT_EMPTY_PATH"
                                                        : std::to_string(flags),
              ", {set=", mount_attr_string(attr.attr_set),
              ", clr=", mount_attr_string(attr.attr_clr), "})");
    struct mount_attr copy = attr;
    check(::mount_setattr(dirfd, path.c_str(), flags, &copy, sizeof copy),
          "mount_setattr " + quote(path));
}

unique_fd open_tree(int dirfd, const std::string& path, unsigned int flags, std::string_view rule) {
    std::string names;
    for (auto [bit, name] : {std::pair{unsigned(OPEN_TREE_CLONE), "OPEN_TREE_CLONE"},
                             std::pair{unsigned(OPEN_TREE_CLOEXEC), "OPEN_TREE_CLOEXEC"},
                             std::pair{unsigned(AT_RECURSIVE), "AT_RECURSIVE"},
                             std::pair{unsigned(AT_EMPTY_PATH), "AT_EMPTY_PATH"}})
        if (flags & bit) names += (names.empty() ? "" : "|") + std::string(name);
    log::step(rule, "open_tree(", dirfd == AT_FDCWD ? "AT_FDCWD" : fd_arg(dirfd), ", ", quote(path),
              ", ", names.empty() ? "0" : names, ")");
    std::string what = "open_tree " + (path.empty() ? fd_object(dirfd) : quote(path));
    return unique_fd(check(static_cast<int>(::open_tree(dirfd, path.c_str(), flags)), what));
}

void move_mount(int from_dirfd, const std::string& from_path, int to_dirfd,
                const std::string& to_path, unsigned int flags, std::string_view rule) {
    auto where = [](int fd, const std::string& path) {
        return (fd == AT_FDCWD ? std::string("AT_FDCWD") : fd_arg(fd)) + ", " + quote(path);
    };
    log::step(rule, "move_mount(", where(from_dirfd, from_path), ", ", where(to_dirfd, to_path),
              ", ", (flags & MOVE_MOUNT_F_EMPTY_PATH) ? "MOVE_MOUNT_F_EMPTY_PATH" : "",
              (flags & MOVE_MOUNT_F_EMPTY_PATH) && (flags & MOVE_MOUNT_T_EMPTY_PATH) ? "|" : "",
              (flags & MOVE_MOUNT_T_EMPTY_PATH) ? "MOVE_MOUNT_T_EMPTY_PATH" : "", ")");
    check(::move_mount(from_dirfd, from_path.c_str(), to_dirfd, to_path.c_str(), flags),
          "move_mount " + (from_path.empty() ? fd_object(from_dirfd) : quote(from_path)) + " on " +
              (to_path.empty() ? fd_object(to_dirfd) : quote(to_path)));
}

void pivot_root(const std::string& new_root, const std::string& put_old, std::string_view rule) {
    log::step(rule, "pivot_root(", quote(new_root), ", ", quote(put_old), ")");
    if (::syscall(SYS_pivot_root, new_root.c_str(), put_old.c_str()) == -1)
        throw_errno("pivot_root " + quote(new_root));
}

void chroot(const std::string& path, std::string_view rule) {
    log::step(rule, "chroot(", quote(path), ")");
    check(::chroot(path.c_str()), "chroot " + quote(path));
}

void chdir(const std::string& path, std::string_view rule) {
    log::step(rule, "chdir(", quote(path), ")");
    check(::chdir(path.c_str()), "chdir " + quote(path));
}

void fchdir(int fd, std::string_view rule) {
    log::step(rule, "fchdir(", fd_arg(fd), ")");
    check(::fchdir(fd), "fchdir " + fd_object(fd));
}

std::string getcwd(std::string_view rule) {
    log::step(rule, "getcwd()");
    char buf[PATH_MAX];
    if (::getcwd(buf, sizeof buf) == nullptr) throw_errno("getcwd");
    return buf;
}

// ---- Files -----------------------------------------------------------------------------------

unique_fd open(const std::string& path, int flags, mode_t mode, std::string_view rule) {
    return openat(AT_FDCWD, path, flags, mode, rule);
}

unique_fd openat(int dirfd, const std::string& path, int flags, mode_t mode,
                 std::string_view rule) {
    std::string mode_arg = (flags & O_CREAT) ? ", " + octal(mode) : "";
    if (dirfd == AT_FDCWD)
        log::step(rule, "open(", quote(path), ", ", open_flags_string(flags), mode_arg, ")");
    else
        log::step(rule, "openat(", fd_arg(dirfd), ", ", quote(path), ", ", open_flags_string(flags),
                  mode_arg, ")");
    int fd = ::openat(dirfd, path.c_str(), flags, mode);
    if (fd == -1) throw_errno("open " + quote(path));
    return unique_fd(fd);
}

unique_fd openat2(int dirfd, const std::string& path, int flags, uint64_t resolve,
                  std::string_view rule) {
    std::string names;
    for (auto [bit, name] : {std::pair{uint64_t(RESOLVE_IN_ROOT), "RESOLVE_IN_ROOT"},
                             std::pair{uint64_t(RESOLVE_NO_MAGICLINKS), "RESOLVE_NO_MAGICLINKS"},
                             std::pair{uint64_t(RESOLVE_NO_SYMLINKS), "RESOLVE_NO_SYMLINKS"},
                             std::pair{uint64_t(RESOLVE_BENEATH), "RESOLVE_BENEATH"},
                             std::pair{uint64_t(RESOLVE_NO_XDEV), "RESOLVE_NO_XDEV"}})
        if (resolve & bit) names += (names.empty() ? "" : "|") + std::string(name);
    log::step(rule, "openat2(", dirfd == AT_FDCWD ? "AT_FDCWD" : fd_arg(dirfd), ", ", quote(path),
              ", {", open_flags_string(flags), ", resolve=", names.empty() ? "0" : names, "})");
    struct open_how how {};
    how.flags = static_cast<uint64_t>(flags);
    how.resolve = resolve;
    long fd = ::syscall(SYS_openat2, dirfd, path.c_str(), &how, sizeof how);
    if (fd == -1) throw_errno("open " + quote(path) + " in " + fd_object(dirfd));
    return unique_fd(static_cast<int>(fd));
}

void mkdirat(int dirfd, const std::string& name, mode_t mode, std::string_view rule) {
    log::step(rule, "mkdirat(", dirfd == AT_FDCWD ? "AT_FDCWD" : fd_arg(dirfd), ", ", quote(name),
              ", ", octal(mode), ")");
    check(::mkdirat(dirfd, name.c_str(), mode), "mkdir " + quote(name) + " in " + fd_object(dirfd));
}

void mkdir(const std::string& path, mode_t mode, std::string_view rule) {
    log::step(rule, "mkdir(", quote(path), ", ", octal(mode), ")");
    check(::mkdir(path.c_str(), mode), "mkdir " + quote(path));
}

void mknod(const std::string& path, mode_t mode, dev_t dev, std::string_view rule) {
    mode_t type = mode & S_IFMT;
    const char* name = type == S_IFCHR   ? "S_IFCHR"
                       : type == S_IFBLK ? "S_IFBLK"
                       : type == S_IFIFO ? "S_IFIFO"
                                         : "S_IFREG";
    log::step(rule, "mknod(", quote(path), ", ", name, "|", octal(mode & ~S_IFMT), ", makedev(",
              major(dev), ", ", minor(dev), "))");
    check(::mknod(path.c_str(), mode, dev), "mknod " + quote(path));
}

void mkfifo(const std::string& path, mode_t mode, std::string_view rule) {
    log::step(rule, "mkfifo(", quote(path), ", ", octal(mode), ")");
    check(::mkfifo(path.c_str(), mode), "mkfifo " + quote(path));
}

void chmod(const std::string& path, mode_t mode, std::string_view rule) {
    log::step(rule, "chmod(", quote(path), ", ", octal(mode), ")");
    check(::chmod(path.c_str(), mode), "chmod " + quote(path));
}

void fchmod(int fd, mode_t mode, std::string_view rule) {
    log::step(rule, "fchmod(", fd_arg(fd), ", ", octal(mode), ")");
    check(::fchmod(fd, mode), "chmod " + fd_object(fd));
}

void chown(const std::string& path, uid_t uid, gid_t gid, std::string_view rule) {
    log::step(rule, "chown(", quote(path), ", ", uid, ", ", gid, ")");
    check(::chown(path.c_str(), uid, gid), "chown " + quote(path));
}

void lchown(const std::string& path, uid_t uid, gid_t gid, std::string_view rule) {
    log::step(rule, "lchown(", quote(path), ", ", uid, ", ", gid, ")");
    check(::lchown(path.c_str(), uid, gid), "chown " + quote(path));
}

void fchown(int fd, uid_t uid, gid_t gid, std::string_view rule) {
    log::step(rule, "fchown(", fd_arg(fd), ", ", uid, ", ", gid, ")");
    check(::fchown(fd, uid, gid), "chown " + fd_object(fd));
}

void symlink(const std::string& target, const std::string& linkpath, std::string_view rule) {
    log::step(rule, "symlink(", quote(target), ", ", quote(linkpath), ")");
    check(::symlink(target.c_str(), linkpath.c_str()), "symlink " + quote(linkpath));
}

void unlink(const std::string& path, std::string_view rule) {
    log::step(rule, "unlink(", quote(path), ")");
    check(::unlink(path.c_str()), "unlink " + quote(path));
}

void unlinkat(int dirfd, const std::string& name, int flags, std::string_view rule) {
    log::step(rule, "unlinkat(", fd_arg(dirfd), ", ", quote(name),
              (flags & AT_REMOVEDIR) ? ", AT_REMOVEDIR" : "", ")");
    check(::unlinkat(dirfd, name.c_str(), flags),
          "unlink " + quote(name) + " in " + fd_object(dirfd));
}

void rmdir(const std::string& path, std::string_view rule) {
    log::step(rule, "rmdir(", quote(path), ")");
    check(::rmdir(path.c_str()), "rmdir " + quote(path));
}

void statfs(const std::string& path, struct statfs& out, std::string_view rule) {
    log::step(rule, "statfs(", quote(path), ")");
    check(::statfs(path.c_str(), &out), "statfs " + quote(path));
}

bool flock(int fd, int operation, std::string_view rule) {
    int op = operation & ~LOCK_NB;
    log::step(rule, "flock(", fd_arg(fd), ", ",
              op == LOCK_EX   ? "LOCK_EX"
              : op == LOCK_SH ? "LOCK_SH"
                              : "LOCK_UN",
              (operation & LOCK_NB) ? "|LOCK_NB" : "", ")");
    while (::flock(fd, operation) == -1) {
        if (errno == EINTR) continue;
        if (errno == EWOULDBLOCK && (operation & LOCK_NB)) return false;
        throw_errno("flock " + fd_object(fd));
    }
    return true;
}

// ---- File descriptors ------------------------------------------------------------------------

void dup2(int oldfd, int newfd, std::string_view rule) {
    log::step(rule, "dup2(", fd_arg(oldfd), ", ", newfd, ")");
    check(::dup2(oldfd, newfd), "dup2 " + fd_object(oldfd) + " to fd " + std::to_string(newfd));
}

std::pair<unique_fd, unique_fd> pipe2(int flags, std::string_view rule) {
    log::step(rule, "pipe2(", open_flags_string(flags), ")");
    int fds[2];
    check(::pipe2(fds, flags), "pipe");
    return {unique_fd(fds[0]), unique_fd(fds[1])};
}

std::pair<unique_fd, unique_fd> socketpair(std::string_view rule) {
    log::step(rule, "socketpair(AF_UNIX, SOCK_SEQPACKET|SOCK_CLOEXEC)");
    int sv[2];
    check(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), "socketpair");
    return {unique_fd(sv[0]), unique_fd(sv[1])};
}

unique_fd memfd_create(const std::string& name, unsigned int flags, std::string_view rule) {
    std::string names = (flags & MFD_CLOEXEC) ? "MFD_CLOEXEC" : "";
    if (flags & MFD_ALLOW_SEALING)
        names += names.empty() ? "MFD_ALLOW_SEALING" : "|MFD_ALLOW_SEALING";
    if (flags & 0x0010U) names += names.empty() ? "MFD_EXEC" : "|MFD_EXEC"; // Linux 6.3
    log::step(rule, "memfd_create(", quote(name), ", ", names.empty() ? "0" : names, ")");
    return unique_fd(check(::memfd_create(name.c_str(), flags), "memfd_create " + quote(name)));
}

void add_seals(int fd, unsigned int seals, std::string_view rule) {
    log::step(rule, "fcntl(", fd_arg(fd), ", F_ADD_SEALS, ", seals_string(seals), ")");
    check(::fcntl(fd, F_ADD_SEALS, seals), "seal " + fd_object(fd));
}

int get_seals(int fd, std::string_view rule) {
    int seals = ::fcntl(fd, F_GET_SEALS);
    if (seals == -1 && errno != EINVAL) throw_errno("get the seals of " + fd_object(fd));
    log::step(rule, "fcntl(", fd_arg(fd), ", F_GET_SEALS) = ",
              seals == -1 ? "-1 EINVAL (no seals: not a memfd)"
                          : seals_string(static_cast<unsigned>(seals)));
    return seals;
}

size_t sendfile(int out_fd, int in_fd, size_t count, std::string_view rule) {
    log::step(rule, "sendfile(", fd_arg(out_fd), ", ", fd_arg(in_fd), ", NULL, ", count, ")");
    ssize_t n = ::sendfile(out_fd, in_fd, nullptr, count);
    if (n == -1) throw_errno("copy " + fd_object(in_fd) + " to " + fd_object(out_fd));
    return static_cast<size_t>(n);
}

// ---- eBPF (phase 5: the device cgroup) -------------------------------------------------------

namespace {

const char* bpf_attach_name(uint32_t type) {
    return type == BPF_CGROUP_DEVICE ? "BPF_CGROUP_DEVICE" : "attach type";
}

long bpf(int cmd, union bpf_attr& attr) {
    return ::syscall(SYS_bpf, cmd, &attr, sizeof attr);
}

} // namespace

unique_fd bpf_prog_load(uint32_t prog_type, const struct bpf_insn* insns, size_t count,
                        const std::string& license, std::string_view rule) {
    log::step(rule, "bpf(BPF_PROG_LOAD, {prog_type ",
              prog_type == BPF_PROG_TYPE_CGROUP_DEVICE ? "BPF_PROG_TYPE_CGROUP_DEVICE"
                                                       : std::to_string(prog_type),
              ", insn_cnt ", count, ", license ", quote(license), "})");
    union bpf_attr attr {};
    attr.prog_type = prog_type;
    attr.insns = reinterpret_cast<uintptr_t>(insns);
    attr.insn_cnt = static_cast<uint32_t>(count);
    attr.license = reinterpret_cast<uintptr_t>(license.c_str());
    attr.prog_flags = 0;
    long fd = bpf(BPF_PROG_LOAD, attr);
    if (fd >= 0) return unique_fd(static_cast<int>(fd));
    int err = errno;
    // Load again with the verifier's log, only to say why.
    std::string log(64 * 1024, '\0');
    attr.log_buf = reinterpret_cast<uintptr_t>(log.data());
    attr.log_size = static_cast<uint32_t>(log.size());
    attr.log_level = 1;
    unique_fd again(static_cast<int>(bpf(BPF_PROG_LOAD, attr)));
    log.resize(std::strlen(log.c_str()));
    while (!log.empty() && log.back() == '\n')
        log.pop_back();
    std::string last = log.substr(log.rfind('\n') == std::string::npos ? 0 : log.rfind('\n') + 1);
    errno = err;
    throw_errno("bpf BPF_PROG_LOAD of " + std::to_string(count) + " instructions" +
                (last.empty() ? "" : " (verifier: " + last + ")"));
}

void bpf_prog_attach(int prog_fd, int target_fd, uint32_t attach_type, uint32_t flags,
                     std::string_view rule) {
    log::step(rule, "bpf(BPF_PROG_ATTACH, {target_fd ", fd_arg(target_fd), ", attach_bpf_fd ",
              prog_fd, ", attach_type ", bpf_attach_name(attach_type), ", attach_flags ",
              flags == BPF_F_ALLOW_MULTI ? "BPF_F_ALLOW_MULTI" : std::to_string(flags), "})");
    union bpf_attr attr {};
    attr.target_fd = static_cast<uint32_t>(target_fd);
    attr.attach_bpf_fd = static_cast<uint32_t>(prog_fd);
    attr.attach_type = attach_type;
    attr.attach_flags = flags;
    check(bpf(BPF_PROG_ATTACH, attr), std::string("bpf BPF_PROG_ATTACH ") +
                                          bpf_attach_name(attach_type) + " to " +
                                          fd_object(target_fd));
}

void bpf_prog_detach(int prog_fd, int target_fd, uint32_t attach_type, std::string_view rule) {
    log::step(rule, "bpf(BPF_PROG_DETACH, {target_fd ", fd_arg(target_fd), ", attach_bpf_fd ",
              prog_fd, ", attach_type ", bpf_attach_name(attach_type), "})");
    union bpf_attr attr {};
    attr.target_fd = static_cast<uint32_t>(target_fd);
    attr.attach_bpf_fd = static_cast<uint32_t>(prog_fd);
    attr.attach_type = attach_type;
    check(bpf(BPF_PROG_DETACH, attr), std::string("bpf BPF_PROG_DETACH ") +
                                          bpf_attach_name(attach_type) + " from " +
                                          fd_object(target_fd));
}

std::vector<uint32_t> bpf_prog_query(int target_fd, uint32_t attach_type, std::string_view rule) {
    log::step(rule, "bpf(BPF_PROG_QUERY, {target_fd ", fd_arg(target_fd), ", attach_type ",
              bpf_attach_name(attach_type), "})");
    // A cgroup hook holds at most 64 programs (BPF_CGROUP_MAX_PROGS).
    std::vector<uint32_t> ids(64);
    union bpf_attr attr {};
    attr.query.target_fd = static_cast<uint32_t>(target_fd);
    attr.query.attach_type = attach_type;
    attr.query.prog_ids = reinterpret_cast<uintptr_t>(ids.data());
    attr.query.prog_cnt = static_cast<uint32_t>(ids.size());
    check(bpf(BPF_PROG_QUERY, attr), std::string("bpf BPF_PROG_QUERY ") +
                                         bpf_attach_name(attach_type) + " of " +
                                         fd_object(target_fd));
    ids.resize(std::min<size_t>(attr.query.prog_cnt, ids.size()));
    return ids;
}

unique_fd bpf_prog_get_fd_by_id(uint32_t id, std::string_view rule) {
    log::step(rule, "bpf(BPF_PROG_GET_FD_BY_ID, {prog_id ", id, "})");
    union bpf_attr attr {};
    attr.prog_id = id;
    attr.open_flags = 0;
    long fd = bpf(BPF_PROG_GET_FD_BY_ID, attr);
    if (fd == -1) throw_errno("bpf BPF_PROG_GET_FD_BY_ID " + std::to_string(id));
    return unique_fd(static_cast<int>(fd));
}

// ---- seccomp ---------------------------------------------------------------------------------

namespace {

std::string seccomp_flags_string(unsigned int flags) {
    static const std::pair<unsigned int, const char*> names[] = {
        {SECCOMP_FILTER_FLAG_TSYNC, "SECCOMP_FILTER_FLAG_TSYNC"},
        {SECCOMP_FILTER_FLAG_LOG, "SECCOMP_FILTER_FLAG_LOG"},
        {SECCOMP_FILTER_FLAG_SPEC_ALLOW, "SECCOMP_FILTER_FLAG_SPEC_ALLOW"},
        {SECCOMP_FILTER_FLAG_NEW_LISTENER, "SECCOMP_FILTER_FLAG_NEW_LISTENER"},
        {SECCOMP_FILTER_FLAG_TSYNC_ESRCH, "SECCOMP_FILTER_FLAG_TSYNC_ESRCH"},
        {SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV, "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"}};
    std::string out;
    for (const auto& [bit, name] : names)
        if (flags & bit) {
            out += (out.empty() ? "" : "|") + std::string(name);
            flags &= ~bit;
        }
    if (flags) out += (out.empty() ? "" : "|") + std::to_string(flags);
    return out.empty() ? "0" : out;
}

} // namespace

int seccomp_set_filter(unsigned int flags, const struct sock_filter* insns, size_t count,
                       std::string_view rule) {
    std::string f = seccomp_flags_string(flags);
    log::step(rule, "seccomp(SECCOMP_SET_MODE_FILTER, ", f, ", {len ", count, "})");
    if (count > USHRT_MAX) { // sock_fprog.len would truncate it: another, shorter program
        errno = EINVAL;
        return check(-1, "seccomp SECCOMP_SET_MODE_FILTER of " + std::to_string(count) +
                             " instructions");
    }
    struct sock_fprog prog {};
    prog.len = static_cast<unsigned short>(count);
    prog.filter = const_cast<struct sock_filter*>(insns);
    long rc = ::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
    return check(static_cast<int>(rc), "seccomp SECCOMP_SET_MODE_FILTER [" + f + "]");
}

// ---- Keys ------------------------------------------------------------------------------------

int32_t join_session_keyring(const std::string& name, std::string_view rule) {
    log::step(rule, "keyctl(KEYCTL_JOIN_SESSION_KEYRING, ", quote(name), ")");
    long serial = ::syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, name.c_str());
    if (serial == -1) throw_errno("join the session keyring " + quote(name));
    return static_cast<int32_t>(serial);
}

std::string describe_key(int32_t key, std::string_view rule) {
    log::step(rule, "keyctl(KEYCTL_DESCRIBE, ", key, ")");
    std::string buf(256, '\0');
    for (;;) {
        long n = ::syscall(SYS_keyctl, KEYCTL_DESCRIBE, key, buf.data(), buf.size());
        if (n == -1) throw_errno("describe key " + std::to_string(key));
        // n counts the description and its NUL; a buffer too small is left alone.
        if (static_cast<size_t>(n) <= buf.size()) {
            buf.resize(static_cast<size_t>(n) - 1);
            return buf;
        }
        buf.assign(static_cast<size_t>(n), '\0');
    }
}

void set_key_perm(int32_t key, uint32_t perm, std::string_view rule) {
    char hex[16];
    std::snprintf(hex, sizeof hex, "0x%08x", perm);
    log::step(rule, "keyctl(KEYCTL_SETPERM, ", key, ", ", hex, ")");
    check(::syscall(SYS_keyctl, KEYCTL_SETPERM, key, perm),
          "set the permissions of key " + std::to_string(key));
}

// ---- Terminals -------------------------------------------------------------------------------

void ioctl(int fd, unsigned long request, int arg, std::string_view rule) {
    log::step(rule, "ioctl(", fd_arg(fd), ", ", ioctl_name(request), ", ", arg, ")");
    check(::ioctl(fd, request, arg), "ioctl " + ioctl_name(request) + " on " + fd_object(fd));
}

void ioctl(int fd, unsigned long request, struct winsize& ws, std::string_view rule) {
    if (request == TIOCSWINSZ)
        log::step(rule, "ioctl(", fd_arg(fd), ", TIOCSWINSZ, {", ws.ws_row, "x", ws.ws_col, "})");
    else
        log::step(rule, "ioctl(", fd_arg(fd), ", ", ioctl_name(request), ")");
    check(::ioctl(fd, request, &ws), "ioctl " + ioctl_name(request) + " on " + fd_object(fd));
}

} // namespace rung::sys
