// The fake half of rung/sys.hpp (see fake_sys.hpp): records, fails when told, changes nothing.
#include "fake_sys.hpp"

#include "rung/error.hpp"
#include "rung/sys.hpp"

#include <algorithm>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

namespace rung::fake_sys {
namespace {

struct Failure {
    std::string name;
    int err;
    std::function<bool(const Call&)> when;
};

struct State {
    std::vector<Call> calls;
    std::vector<Failure> failures;
    std::vector<std::string> pass_through;
    int child_pid = 4242;
    int wait_status = 0;
};

State& state() {
    static State s;
    return s;
}

std::string num(long long n) {
    return std::to_string(n);
}

// Record the call; throw what the real wrapper would if the test asked this call to fail.
// Returns whether the call should also really be made (pass_through).
bool record(std::string name, std::vector<std::string> args, uint64_t flags, std::string_view rule,
            const std::string& what) {
    State& s = state();
    s.calls.push_back({std::move(name), std::move(args), flags, std::string(rule)});
    const Call& c = s.calls.back();
    for (const auto& f : s.failures)
        if (f.name == c.name && (!f.when || f.when(c))) throw Error(what, f.err);
    return std::find(s.pass_through.begin(), s.pass_through.end(), c.name) != s.pass_through.end();
}

// A path through a held fd, "/proc/self/fd/7/null", as the path that fd names now,
// "/tmp/t/dev/null": how phase 5 names what it resolved with openat2 (rootfs.cpp). Tests then
// check the same paths in every phase.
std::string shown(const std::string& path) {
    const std::string prefix = "/proc/self/fd/";
    if (!path.starts_with(prefix)) return path;
    size_t end = path.find('/', prefix.size());
    std::string link = path.substr(0, end);
    char target[4096];
    ssize_t n = ::readlink(link.c_str(), target, sizeof target - 1);
    if (n <= 0) return path;
    return std::string(target, static_cast<size_t>(n)) +
           (end == std::string::npos ? "" : path.substr(end));
}

// A real fd that is safe to close and to read (EOF) or write (discarded): /dev/null.
unique_fd some_fd() {
    return unique_fd(::open("/dev/null", O_RDWR | O_CLOEXEC));
}

} // namespace

const std::vector<Call>& calls() {
    return state().calls;
}

std::vector<Call> calls_named(std::string_view name) {
    std::vector<Call> out;
    for (const auto& c : state().calls)
        if (c.name == name) out.push_back(c);
    return out;
}

std::vector<std::string> call_names() {
    std::vector<std::string> out;
    for (const auto& c : state().calls)
        out.push_back(c.name);
    return out;
}

void fail(std::string name, int err, std::function<bool(const Call&)> when) {
    state().failures.push_back({std::move(name), err, std::move(when)});
}

void pass_through(std::string name) {
    state().pass_through.push_back(std::move(name));
}

void set_child_pid(int pid) {
    state().child_pid = pid;
}

void set_wait_status(int status) {
    state().wait_status = status;
}

void reset() {
    state() = State{};
}

} // namespace rung::fake_sys

namespace rung::sys {

using fake_sys::num;
using fake_sys::record;
using fake_sys::shown;

// ---- Processes -------------------------------------------------------------------------------

Cloned clone_process(const CloneArgs& args) {
    record("clone3", {}, args.flags, {}, "clone3(" + clone_flags_string(args.flags) + ")");
    return Cloned{fake_sys::state().child_pid, unique_fd()};
}

pid_t fork(std::string_view rule) {
    record("fork", {}, 0, rule, "fork");
    return fake_sys::state().child_pid;
}

void execve(const std::string& path, const std::vector<std::string>& argv,
            const std::vector<std::string>& envp, std::string_view rule) {
    std::vector<std::string> args = {path};
    args.insert(args.end(), argv.begin(), argv.end());
    record("execve", std::move(args), envp.size(), rule, "exec " + quote(path));
    // A real execve does not return; the fake cannot replace the process, so it leaves the step
    // with an exception that is not an Error (no step catches it).
    throw fake_sys::Executed{};
}

void fexecve(int fd, const std::string& what, const std::vector<std::string>& argv,
             const std::vector<std::string>& envp, std::string_view rule) {
    std::vector<std::string> args = {what};
    args.insert(args.end(), argv.begin(), argv.end());
    record("fexecve", std::move(args), static_cast<uint64_t>(fd), rule, "exec " + what);
    (void)envp;
    throw fake_sys::Executed{};
}

void kill(pid_t pid, int sig, std::string_view rule) {
    record("kill", {num(pid)}, static_cast<uint64_t>(sig), rule,
           "kill " + num(pid) + " with " + signal_name(sig));
}

unique_fd pidfd_open(pid_t pid, std::string_view rule) {
    record("pidfd_open", {num(pid)}, 0, rule, "pidfd_open " + num(pid));
    return fake_sys::some_fd();
}

void pidfd_send_signal(int pidfd, int sig, pid_t pid, std::string_view rule) {
    record("pidfd_send_signal", {num(pidfd), num(pid)}, static_cast<uint64_t>(sig), rule,
           "kill " + num(pid) + " with " + signal_name(sig));
}

int wait_for(pid_t pid, std::string_view rule) {
    int status = 0;
    waitpid(pid, status, 0, rule);
    return status;
}

pid_t waitpid(pid_t pid, int& status, int options, std::string_view rule) {
    record("waitpid", {num(pid)}, static_cast<uint64_t>(options), rule, "waitpid " + num(pid));
    status = fake_sys::state().wait_status;
    return pid;
}

pid_t setsid(std::string_view rule) {
    record("setsid", {}, 0, rule, "setsid");
    return fake_sys::state().child_pid;
}

void setpgid(pid_t pid, pid_t pgid, std::string_view rule) {
    record("setpgid", {num(pid), num(pgid)}, 0, rule, "setpgid " + num(pid));
}

int prctl(int option, unsigned long arg2, unsigned long arg3, std::string_view rule) {
    record("prctl", {num(static_cast<long long>(arg2)), num(static_cast<long long>(arg3))},
           static_cast<uint64_t>(option), rule, "prctl " + num(option));
    return 0;
}

void setrlimit(int resource, std::string_view name, const struct rlimit& limit,
               std::string_view rule) {
    record("setrlimit",
           {std::string(name), std::to_string(limit.rlim_cur), std::to_string(limit.rlim_max)},
           static_cast<uint64_t>(resource), rule, "setrlimit " + std::string(name));
}

void sigprocmask(int how, const sigset_t& set, std::string_view rule) {
    std::vector<std::string> sigs;
    for (int sig = 1; sig < NSIG; ++sig)
        if (sigismember(&set, sig) == 1) sigs.push_back(signal_name(sig));
    record("sigprocmask", std::move(sigs), static_cast<uint64_t>(how), rule, "sigprocmask");
}

unique_fd signalfd(const sigset_t&, int flags, std::string_view rule) {
    record("signalfd", {}, static_cast<uint64_t>(flags), rule, "signalfd");
    return fake_sys::some_fd();
}

// ---- Namespaces and identity -----------------------------------------------------------------

void unshare(int flags, std::string_view rule) {
    record("unshare", {}, static_cast<uint64_t>(flags), rule,
           "unshare " + clone_flags_string(static_cast<unsigned long>(flags)));
}

void setns(int fd, int nstype, std::string_view rule) {
    record("setns", {num(fd)}, static_cast<uint64_t>(nstype), rule, "setns fd " + num(fd));
}

void sethostname(const std::string& name, std::string_view rule) {
    record("sethostname", {name}, 0, rule, "sethostname " + quote(name));
}

void setdomainname(const std::string& name, std::string_view rule) {
    record("setdomainname", {name}, 0, rule, "setdomainname " + quote(name));
}

void setgroups(const std::vector<gid_t>& groups, std::string_view rule) {
    std::vector<std::string> args;
    for (gid_t g : groups)
        args.push_back(num(g));
    record("setgroups", std::move(args), 0, rule, "setgroups");
}

void setgid(gid_t gid, std::string_view rule) {
    record("setgid", {num(gid)}, 0, rule, "setgid " + num(gid));
}

void setuid(uid_t uid, std::string_view rule) {
    record("setuid", {num(uid)}, 0, rule, "setuid " + num(uid));
}

mode_t umask(mode_t mask, std::string_view rule) {
    record("umask", {}, mask, rule, "umask");
    return 022;
}

// ---- Mounts and the root ---------------------------------------------------------------------

void mount(const std::string& source, const std::string& target, const std::string& fstype,
           unsigned long flags, const std::string& data, std::string_view rule) {
    std::string what = "mount " + quote(source) + " on " + quote(target);
    if (!fstype.empty()) what += " (type " + fstype + ")";
    if (flags != 0) what += " [" + mount_flags_string(flags) + "]";
    record("mount", {shown(source), shown(target), fstype, data}, flags, rule, what);
}

void umount2(const std::string& target, int flags, std::string_view rule) {
    record("umount2", {target}, static_cast<uint64_t>(flags), rule, "umount " + quote(target));
}

void mount_setattr(int dirfd, const std::string& path, unsigned int flags,
                   const struct mount_attr& attr, std::string_view rule) {
    record("mount_setattr",
           {num(dirfd), shown(path), num(static_cast<long long>(attr.attr_set)),
            num(static_cast<long long>(attr.attr_clr)),
            num(static_cast<long long>(attr.propagation))},
           flags, rule, "mount_setattr " + quote(path));
}

unique_fd open_tree(int dirfd, const std::string& path, unsigned int flags, std::string_view rule) {
    record("open_tree", {num(dirfd), path}, flags, rule, "open_tree " + quote(path));
    return fake_sys::some_fd();
}

void move_mount(int from_dirfd, const std::string& from_path, int to_dirfd,
                const std::string& to_path, unsigned int flags, std::string_view rule) {
    record("move_mount", {num(from_dirfd), from_path, num(to_dirfd), to_path}, flags, rule,
           "move_mount " + quote(from_path) + " on " + quote(to_path));
}

void pivot_root(const std::string& new_root, const std::string& put_old, std::string_view rule) {
    record("pivot_root", {new_root, put_old}, 0, rule, "pivot_root " + quote(new_root));
}

void chroot(const std::string& path, std::string_view rule) {
    record("chroot", {path}, 0, rule, "chroot " + quote(path));
}

void chdir(const std::string& path, std::string_view rule) {
    record("chdir", {path}, 0, rule, "chdir " + quote(path));
}

void fchdir(int fd, std::string_view rule) {
    record("fchdir", {num(fd)}, 0, rule, "fchdir fd " + num(fd));
}

std::string getcwd(std::string_view rule) {
    record("getcwd", {}, 0, rule, "getcwd");
    return "/";
}

// ---- Files -----------------------------------------------------------------------------------

unique_fd open(const std::string& path, int flags, mode_t mode, std::string_view rule) {
    std::string what = "open " + quote(path);
    // With O_PATH it only looks, so it is always made, as stat(2) is.
    if (record("open", {path, num(mode)}, static_cast<uint64_t>(flags), rule, what) ||
        (flags & O_PATH))
        return unique_fd(check(::open(path.c_str(), flags, mode), what));
    return fake_sys::some_fd();
}

unique_fd openat(int dirfd, const std::string& path, int flags, mode_t mode,
                 std::string_view rule) {
    std::string what = "open " + quote(path);
    // With O_PATH it only looks, so it is always made, as stat(2) is.
    if (record("openat", {num(dirfd), path, num(mode)}, static_cast<uint64_t>(flags), rule, what) ||
        (flags & O_PATH))
        return unique_fd(check(::openat(dirfd, path.c_str(), flags, mode), what));
    return fake_sys::some_fd();
}

// A lookup with O_PATH only reads, so it is always made, as stat(2) is; any other openat2 is
// made only when passed through, as openat.
unique_fd openat2(int dirfd, const std::string& path, int flags, uint64_t resolve,
                  std::string_view rule) {
    std::string what = "open " + quote(path);
    bool real = record("openat2", {num(dirfd), path, num(static_cast<long long>(resolve))},
                       static_cast<uint64_t>(flags), rule, what);
    if (!real && !(flags & O_PATH)) return fake_sys::some_fd();
    struct open_how how {};
    how.flags = static_cast<uint64_t>(flags);
    how.resolve = resolve;
    return unique_fd(check(
        static_cast<int>(::syscall(SYS_openat2, dirfd, path.c_str(), &how, sizeof how)), what));
}

void mkdirat(int dirfd, const std::string& name, mode_t mode, std::string_view rule) {
    if (record("mkdirat", {num(dirfd), name}, mode, rule, "mkdir " + quote(name)))
        check(::mkdirat(dirfd, name.c_str(), mode), "mkdir " + quote(name));
}

void mkdir(const std::string& path, mode_t mode, std::string_view rule) {
    if (record("mkdir", {path}, mode, rule, "mkdir " + quote(path)))
        check(::mkdir(path.c_str(), mode), "mkdir " + quote(path));
}

void mknod(const std::string& path, mode_t mode, dev_t dev, std::string_view rule) {
    // Passed through, it makes an empty file of that mode in its place: a test cannot make nodes.
    if (record("mknod", {shown(path), num(major(dev)), num(minor(dev))}, mode, rule,
               "mknod " + quote(path)))
        ::close(check(::open(path.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, mode & 07777),
                      "mknod " + quote(path)));
}

void mkfifo(const std::string& path, mode_t mode, std::string_view rule) {
    if (record("mkfifo", {path}, mode, rule, "mkfifo " + quote(path)))
        check(::mkfifo(path.c_str(), mode), "mkfifo " + quote(path));
}

void chmod(const std::string& path, mode_t mode, std::string_view rule) {
    if (record("chmod", {shown(path)}, mode, rule, "chmod " + quote(path)))
        check(::chmod(path.c_str(), mode), "chmod " + quote(path));
}

void fchmod(int fd, mode_t mode, std::string_view rule) {
    record("fchmod", {num(fd)}, mode, rule, "chmod fd " + num(fd));
}

void chown(const std::string& path, uid_t uid, gid_t gid, std::string_view rule) {
    record("chown", {shown(path), num(uid), num(gid)}, 0, rule, "chown " + quote(path));
}

void lchown(const std::string& path, uid_t uid, gid_t gid, std::string_view rule) {
    record("lchown", {shown(path), num(uid), num(gid)}, 0, rule, "chown " + quote(path));
}

void fchown(int fd, uid_t uid, gid_t gid, std::string_view rule) {
    record("fchown", {num(fd), num(uid), num(gid)}, 0, rule, "chown fd " + num(fd));
}

void symlink(const std::string& target, const std::string& linkpath, std::string_view rule) {
    if (record("symlink", {target, shown(linkpath)}, 0, rule, "symlink " + quote(linkpath)))
        check(::symlink(target.c_str(), linkpath.c_str()), "symlink " + quote(linkpath));
}

void unlink(const std::string& path, std::string_view rule) {
    if (record("unlink", {shown(path)}, 0, rule, "unlink " + quote(path)))
        check(::unlink(path.c_str()), "unlink " + quote(path));
}

void unlinkat(int dirfd, const std::string& name, int flags, std::string_view rule) {
    if (record("unlinkat", {num(dirfd), name}, static_cast<uint64_t>(flags), rule,
               "unlink " + quote(name)))
        check(::unlinkat(dirfd, name.c_str(), flags), "unlink " + quote(name));
}

void rmdir(const std::string& path, std::string_view rule) {
    if (record("rmdir", {path}, 0, rule, "rmdir " + quote(path)))
        check(::rmdir(path.c_str()), "rmdir " + quote(path));
}

// It only reads, so it is always made, as stat(2) is: a test prepares what it looks at.
void statfs(const std::string& path, struct statfs& out, std::string_view rule) {
    record("statfs", {path}, 0, rule, "statfs " + quote(path));
    check(::statfs(path.c_str(), &out), "statfs " + quote(path));
}

bool flock(int fd, int operation, std::string_view rule) {
    record("flock", {num(fd)}, static_cast<uint64_t>(operation), rule, "flock fd " + num(fd));
    return true;
}

// ---- File descriptors ------------------------------------------------------------------------

void dup2(int oldfd, int newfd, std::string_view rule) {
    record("dup2", {num(oldfd), num(newfd)}, 0, rule, "dup2 fd " + num(oldfd));
}

std::pair<unique_fd, unique_fd> pipe2(int flags, std::string_view rule) {
    record("pipe2", {}, static_cast<uint64_t>(flags), rule, "pipe");
    return {fake_sys::some_fd(), fake_sys::some_fd()};
}

std::pair<unique_fd, unique_fd> socketpair(std::string_view rule) {
    record("socketpair", {}, 0, rule, "socketpair");
    return {fake_sys::some_fd(), fake_sys::some_fd()};
}

unique_fd memfd_create(const std::string& name, unsigned int flags, std::string_view rule) {
    std::string what = "memfd_create " + quote(name);
    if (record("memfd_create", {name}, flags, rule, what))
        return unique_fd(check(::memfd_create(name.c_str(), flags), what));
    return fake_sys::some_fd();
}

void add_seals(int fd, unsigned int seals, std::string_view rule) {
    record("add_seals", {num(fd)}, seals, rule, "seal " + num(fd));
}

int get_seals(int fd, std::string_view rule) {
    record("get_seals", {num(fd)}, 0, rule, "get the seals of " + num(fd));
    return -1;
}

size_t sendfile(int out_fd, int in_fd, size_t count, std::string_view rule) {
    record("sendfile", {num(out_fd), num(in_fd)}, count, rule, "copy " + num(in_fd));
    return 0;
}

// ---- seccomp ---------------------------------------------------------------------------------

int seccomp_set_filter(unsigned int flags, const struct sock_filter*, size_t count,
                       std::string_view rule) {
    record("seccomp_set_filter", {num(static_cast<long long>(count))}, flags, rule,
           "seccomp SECCOMP_SET_MODE_FILTER");
    // With a listener the kernel returns the notify fd.
    return (flags & (1U << 3)) ? fake_sys::some_fd().release() : 0;
}

// ---- Keys ------------------------------------------------------------------------------------

int32_t join_session_keyring(const std::string& name, std::string_view rule) {
    record("join_session_keyring", {name}, 0, rule, "join the session keyring " + quote(name));
    return 1;
}

std::string describe_key(int32_t key, std::string_view rule) {
    record("describe_key", {num(key)}, 0, rule, "describe key " + num(key));
    return "keyring;0;0;3f010000;_ses";
}

void set_key_perm(int32_t key, uint32_t perm, std::string_view rule) {
    record("set_key_perm", {num(key)}, perm, rule, "set the permissions of key " + num(key));
}

// ---- Terminals -------------------------------------------------------------------------------

void ioctl(int fd, unsigned long request, int arg, std::string_view rule) {
    record("ioctl", {num(fd), num(arg)}, request, rule, "ioctl on fd " + num(fd));
}

void ioctl(int fd, unsigned long request, struct winsize& ws, std::string_view rule) {
    record("ioctl", {num(fd), num(ws.ws_row), num(ws.ws_col)}, request, rule,
           "ioctl on fd " + num(fd));
}

} // namespace rung::sys
