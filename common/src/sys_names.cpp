// The pure half of sys.hpp: names of flags and signals for messages, and wait statuses. No
// kernel calls here, so the real sys (sys.cpp) and the unit tests' fake share this file.
#include "rung/sys.hpp"

#include "rung/error.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

namespace rung::sys {

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
    // toupper() takes an unsigned char's value: a plain char above 0x7f would be negative.
    std::string upper(name);
    std::transform(upper.begin(), upper.end(), upper.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    std::string_view s = upper;
    if (s.starts_with("SIG")) s.remove_prefix(3);
    int sig = -1;
    bool realtime = s.starts_with("RTM");
    if (number(s) >= 0)
        sig = number(s);
    else if (s == "RTMIN" || s == "RTMAX")
        sig = s == "RTMIN" ? SIGRTMIN : SIGRTMAX;
    // An offset past the real-time range is refused before it is added: SIGRTMIN + a big
    // offset would overflow an int.
    else if (s.starts_with("RTMIN+") && number(s.substr(6)) >= 0)
        sig = number(s.substr(6)) <= SIGRTMAX - SIGRTMIN ? SIGRTMIN + number(s.substr(6)) : 0;
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

std::string mount_attr_string(uint64_t attr) {
    static const std::pair<unsigned long, const char*> names[] = {
        {MOUNT_ATTR_RDONLY, "MOUNT_ATTR_RDONLY"},
        {MOUNT_ATTR_NOSUID, "MOUNT_ATTR_NOSUID"},
        {MOUNT_ATTR_NODEV, "MOUNT_ATTR_NODEV"},
        {MOUNT_ATTR_NOEXEC, "MOUNT_ATTR_NOEXEC"},
        {MOUNT_ATTR_NOATIME, "MOUNT_ATTR_NOATIME"},
        {MOUNT_ATTR_STRICTATIME, "MOUNT_ATTR_STRICTATIME"},
        {MOUNT_ATTR_NODIRATIME, "MOUNT_ATTR_NODIRATIME"},
        {MOUNT_ATTR_IDMAP, "MOUNT_ATTR_IDMAP"},
        {MOUNT_ATTR_NOSYMFOLLOW, "MOUNT_ATTR_NOSYMFOLLOW"},
    };
    // MOUNT_ATTR_RELATIME is 0: the atime field without NOATIME or STRICTATIME.
    return flags_string(static_cast<unsigned long>(attr), names);
}

std::string seals_string(unsigned int seals) {
    static const std::pair<unsigned long, const char*> names[] = {
        {F_SEAL_SEAL, "F_SEAL_SEAL"},
        {F_SEAL_SHRINK, "F_SEAL_SHRINK"},
        {F_SEAL_GROW, "F_SEAL_GROW"},
        {F_SEAL_WRITE, "F_SEAL_WRITE"},
        {F_SEAL_FUTURE_WRITE, "F_SEAL_FUTURE_WRITE"},
    };
    return seals == 0 ? "0" : flags_string(seals, names);
}

std::string open_flags_string(int flags) {
    static const std::pair<unsigned long, const char*> names[] = {
        {O_WRONLY, "O_WRONLY"},
        {O_RDWR, "O_RDWR"},
        {O_CREAT, "O_CREAT"},
        {O_EXCL, "O_EXCL"},
        {O_NOCTTY, "O_NOCTTY"},
        {O_TRUNC, "O_TRUNC"},
        {O_APPEND, "O_APPEND"},
        {O_NONBLOCK, "O_NONBLOCK"},
        {O_DIRECTORY, "O_DIRECTORY"},
        {O_NOFOLLOW, "O_NOFOLLOW"},
        {O_CLOEXEC, "O_CLOEXEC"},
        {O_PATH, "O_PATH"},
        {O_TMPFILE & ~O_DIRECTORY, "O_TMPFILE"},
    };
    auto bits = static_cast<unsigned long>(flags);
    std::string out = (bits & (O_WRONLY | O_RDWR | O_PATH)) ? "" : "O_RDONLY";
    if (bits == 0) return out;
    return out.empty() ? flags_string(bits, names) : out + "|" + flags_string(bits, names);
}

// errno is kept: a wrapper builds its message, "fchdir " + fd_object(fd), in the same call as the
// syscall, check(::fchdir(fd), ...), and the order in which a call's arguments are evaluated is
// unspecified. g++ builds the message first; clang makes the syscall first, and this readlink's
// ENOENT replaced its errno (found by unit_common under make test-asan, which clang builds).
std::string fd_string(int fd) {
    int saved = errno;
    char target[4096];
    std::string link = "/proc/self/fd/" + std::to_string(fd);
    ssize_t n = ::readlink(link.c_str(), target, sizeof target - 1);
    errno = saved;
    if (n <= 0) return std::to_string(fd);
    return std::to_string(fd) + "<" + std::string(target, static_cast<size_t>(n)) + ">";
}

} // namespace rung::sys
