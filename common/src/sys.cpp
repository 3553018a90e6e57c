#include "rung/sys.hpp"

#include "rung/error.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <csignal>
#include <cstring>
#include <linux/sched.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

namespace rung::sys {

pid_t clone_process(unsigned long flags) {
    // clone3(2), not glibc's clone(): with no stack given, the child runs on a copy of the
    // parent's stack, exactly like fork(), so init is ordinary C++ code after this call. clone3
    // also takes every namespace flag (clone()'s low byte is the exit signal, which collides
    // with CLONE_NEWTIME).
    clone_args args{};
    args.flags = flags;
    args.exit_signal = SIGCHLD;
    long pid = ::syscall(SYS_clone3, &args, sizeof args);
    if (pid == -1) throw_errno("clone3(" + clone_flags_string(flags) + ")");
    return static_cast<pid_t>(pid);
}

void mount(const std::string& source, const std::string& target, const std::string& fstype,
           unsigned long flags, const std::string& data) {
    if (::mount(source.empty() ? nullptr : source.c_str(), target.c_str(),
                fstype.empty() ? nullptr : fstype.c_str(), flags,
                data.empty() ? nullptr : data.c_str()) == -1) {
        std::string what = "mount " + quote(source) + " on " + quote(target);
        if (!fstype.empty()) what += " (type " + fstype + ")";
        if (flags != 0) what += " [" + mount_flags_string(flags) + "]";
        throw_errno(what);
    }
}

void umount2(const std::string& target, int flags) {
    check(::umount2(target.c_str(), flags), "umount " + quote(target));
}

void sethostname(const std::string& name) {
    check(::sethostname(name.data(), name.size()), "sethostname " + quote(name));
}

void chroot(const std::string& path) {
    check(::chroot(path.c_str()), "chroot " + quote(path));
}

void chdir(const std::string& path) {
    check(::chdir(path.c_str()), "chdir " + quote(path));
}

void mkfifo(const std::string& path, mode_t mode) {
    check(::mkfifo(path.c_str(), mode), "mkfifo " + quote(path));
}

// glibc 2.36 has wrappers for these two, Ubuntu 22.04's 2.35 does not: call the kernel directly.
unique_fd pidfd_open(pid_t pid) {
    long fd = ::syscall(SYS_pidfd_open, pid, 0);
    if (fd == -1) throw_errno("pidfd_open " + std::to_string(pid));
    return unique_fd(static_cast<int>(fd));
}

void pidfd_send_signal(int pidfd, int sig, pid_t pid) {
    if (::syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0) == -1)
        throw_errno("kill " + std::to_string(pid) + " with " + signal_name(sig));
}

std::pair<unique_fd, unique_fd> socketpair() {
    int sv[2];
    check(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), "socketpair");
    return {unique_fd(sv[0]), unique_fd(sv[1])};
}

int wait_for(pid_t pid) {
    int status = 0;
    while (::waitpid(pid, &status, 0) == -1) {
        if (errno != EINTR) throw_errno("waitpid " + std::to_string(pid));
    }
    return status;
}

int exit_code_of(int status) {
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return 1;
}

std::string signal_name(int sig) {
    if (sig >= SIGRTMIN && sig <= SIGRTMAX) {
        int offset = sig - SIGRTMIN;
        return offset == 0 ? "SIGRTMIN" : "SIGRTMIN+" + std::to_string(offset);
    }
    const char* abbrev = sigabbrev_np(sig);
    return abbrev ? std::string("SIG") + abbrev : "signal " + std::to_string(sig);
}

// command-line-interface.md, kill: TERM and KILL MUST be supported; more names MAY be. rung takes
// every name glibc knows, with or without SIG, in any case; real-time signals as RTMIN, RTMIN+n,
// RTMAX-n or RTMAX; and numbers.
int parse_signal(std::string_view name) {
    auto number = [](std::string_view digits) {
        int n = -1;
        auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
        return ec == std::errc() && p == digits.data() + digits.size() ? n : -1;
    };
    std::string upper(name);
    std::transform(upper.begin(), upper.end(), upper.begin(), ::toupper);
    std::string_view s = upper;
    if (s.starts_with("SIG")) s.remove_prefix(3);
    int sig = -1;
    bool realtime = s.starts_with("RTM");
    if (number(s) >= 0)
        sig = number(s);
    else if (s == "RTMIN" || s == "RTMAX")
        sig = s == "RTMIN" ? SIGRTMIN : SIGRTMAX;
    else if (s.starts_with("RTMIN+") && number(s.substr(6)) >= 0)
        sig = SIGRTMIN + number(s.substr(6));
    else if (s.starts_with("RTMAX-") && number(s.substr(6)) >= 0)
        sig = SIGRTMAX - number(s.substr(6));
    for (int i = 1; sig == -1 && i < SIGRTMIN; ++i)
        if (const char* abbrev = sigabbrev_np(i); abbrev && s == abbrev) sig = i;
    if (sig < 1 || sig > SIGRTMAX || (realtime && sig < SIGRTMIN))
        throw Error("unknown signal " + quote(name));
    return sig;
}

namespace {

template <size_t N>
std::string flags_string(unsigned long flags,
                         const std::pair<unsigned long, const char*> (&names)[N]) {
    std::string out;
    for (const auto& [bit, name] : names) {
        if ((flags & bit) == 0) continue;
        if (!out.empty()) out += '|';
        out += name;
        flags &= ~bit;
    }
    if (flags != 0) {
        if (!out.empty()) out += '|';
        char buf[32];
        std::snprintf(buf, sizeof buf, "0x%lx", flags);
        out += buf;
    }
    return out.empty() ? "0" : out;
}

} // namespace

std::string clone_flags_string(unsigned long flags) {
    static const std::pair<unsigned long, const char*> names[] = {
        {CLONE_NEWNS, "CLONE_NEWNS"},         {CLONE_NEWUTS, "CLONE_NEWUTS"},
        {CLONE_NEWIPC, "CLONE_NEWIPC"},       {CLONE_NEWPID, "CLONE_NEWPID"},
        {CLONE_NEWNET, "CLONE_NEWNET"},       {CLONE_NEWUSER, "CLONE_NEWUSER"},
        {CLONE_NEWCGROUP, "CLONE_NEWCGROUP"}, {CLONE_NEWTIME, "CLONE_NEWTIME"},
    };
    return flags_string(flags, names);
}

std::string mount_flags_string(unsigned long flags) {
    static const std::pair<unsigned long, const char*> names[] = {
        {MS_RDONLY, "MS_RDONLY"},
        {MS_NOSUID, "MS_NOSUID"},
        {MS_NODEV, "MS_NODEV"},
        {MS_NOEXEC, "MS_NOEXEC"},
        {MS_SYNCHRONOUS, "MS_SYNCHRONOUS"},
        {MS_REMOUNT, "MS_REMOUNT"},
        {MS_MANDLOCK, "MS_MANDLOCK"},
        {MS_DIRSYNC, "MS_DIRSYNC"},
        {MS_NOSYMFOLLOW, "MS_NOSYMFOLLOW"},
        {MS_NOATIME, "MS_NOATIME"},
        {MS_NODIRATIME, "MS_NODIRATIME"},
        {MS_BIND, "MS_BIND"},
        {MS_MOVE, "MS_MOVE"},
        {MS_REC, "MS_REC"},
        {MS_SILENT, "MS_SILENT"},
        {MS_UNBINDABLE, "MS_UNBINDABLE"},
        {MS_PRIVATE, "MS_PRIVATE"},
        {MS_SLAVE, "MS_SLAVE"},
        {MS_SHARED, "MS_SHARED"},
        {MS_RELATIME, "MS_RELATIME"},
        {MS_STRICTATIME, "MS_STRICTATIME"},
        {MS_LAZYTIME, "MS_LAZYTIME"},
    };
    return flags_string(flags, names);
}

} // namespace rung::sys
