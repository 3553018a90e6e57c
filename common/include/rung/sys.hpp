// rung/sys.hpp: every kernel call a step makes, one wrapper per syscall.
//
// Each wrapper does one syscall with exactly the arguments it is given, and
//   - narrates itself under --debug with those real arguments and the rule the caller serves:
//         [init] mount("proc", "/b/rootfs/proc", "proc", MS_NOSUID|MS_NODEV)   # config.md: mounts
//     (`rule` is the last parameter of every wrapper; log.hpp says how to cite one);
//   - turns -1/errno into a rung::Error that names the operation and its object:
//         mount "proc" on "/b/rootfs/proc" (type proc) [MS_NOSUID|MS_NODEV]: Operation not
//         permitted
//   - retries EINTR where the call may be interrupted (waitpid, flock).
// So a step function is its rule comment and a list of sys:: calls, and nothing else narrates
// a syscall. Flags are passed as given: an fd a wrapper returns is CLOEXEC only if you ask.
//
// Two libraries implement this header. The kernel calls (sys.cpp) are the library rung_sys,
// which every phase links; unit tests link tests/unit/fake_sys.cpp instead, which records each
// call and can be told to fail (see fake_sys.hpp). The pure helpers at the end of this file
// (flag and signal names, exit codes) are in rung_common (sys_names.cpp), shared by both, so
// keep anything that needs no kernel there.
//
// Plain I/O on fds the runtime already holds (read, write, poll, the sync frames) is not here:
// it goes through file.hpp and sync.hpp.
#pragma once

#include "rung/fd.hpp"

#include <csignal>
#include <cstdint>
#include <string>
#include <string_view>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/statfs.h>
#include <sys/types.h>
#include <utility>
#include <vector>

struct bpf_insn;
struct sock_filter;
struct winsize;

namespace rung::sys {

// ---- Processes -------------------------------------------------------------------------------

// What clone3(2) takes, as far as rung uses it.
struct CloneArgs {
    unsigned long flags = 0; // CLONE_NEW*: the namespaces the child starts in
    int cgroup_fd = -1;      // >= 0: CLONE_INTO_CGROUP, the child starts in this cgroup (phase 4)
    int exit_signal = SIGCHLD;
};

struct Cloned {
    pid_t pid = 0;   // 0 in the child
    unique_fd pidfd; // in the parent: CLONE_PIDFD, a pidfd for the child from its first moment
};

// clone3(2) used like fork(2): the child continues here with a copy of the address space, in the
// new namespaces named by `args.flags`. Must be called while the process has a single thread.
Cloned clone_process(const CloneArgs& args);
// fork(2). Returns 0 in the child.
pid_t fork(std::string_view rule = {});
// execve(2) of `path` (no PATH search). Returns only by throwing, with the errno of the failure;
// the caller picks the exit status (126, or 127 for ENOENT, as a shell).
[[noreturn]] void execve(const std::string& path, const std::vector<std::string>& argv,
                         const std::vector<std::string>& envp, std::string_view rule = {});
// fexecve(3), i.e. execveat(2) with AT_EMPTY_PATH: execute the file `fd` refers to (a memfd
// works, even CLOEXEC, for an ELF binary). `what` names the file for the error. Returns only by
// throwing.
[[noreturn]] void fexecve(int fd, const std::string& what, const std::vector<std::string>& argv,
                          const std::vector<std::string>& envp, std::string_view rule = {});

// kill(2); a negative pid signals the process group -pid.
void kill(pid_t pid, int sig, std::string_view rule = {});
// pidfd_open(2): an fd that names one process for as long as the fd is open, even after the pid
// number has been reused. poll(2) reports it readable once the process has exited. Fails with
// ESRCH when no process has that pid. The fd is CLOEXEC.
unique_fd pidfd_open(pid_t pid, std::string_view rule = {});
// pidfd_send_signal(2): signal exactly the process the pidfd names. `pid` is only for messages.
void pidfd_send_signal(int pidfd, int sig, pid_t pid, std::string_view rule = {});

// waitpid(2) retrying EINTR, blocking. Returns the raw wait status.
int wait_for(pid_t pid, std::string_view rule = {});
// waitpid(2) retrying EINTR, with `options` (WNOHANG...). Returns what waitpid returns (0: with
// WNOHANG, not exited yet) and stores the raw status in `status`.
pid_t waitpid(pid_t pid, int& status, int options, std::string_view rule = {});

// setsid(2): a new session (and process group) led by the caller. Returns the session id.
pid_t setsid(std::string_view rule = {});
// setpgid(2): 0, 0 puts the caller in a new group of its own.
void setpgid(pid_t pid, pid_t pgid, std::string_view rule = {});
// prctl(2) with up to two arguments. Returns prctl's result.
int prctl(int option, unsigned long arg2 = 0, unsigned long arg3 = 0, std::string_view rule = {});
// setrlimit(2) of `resource`, whose name ("RLIMIT_NOFILE") the trace and the error carry.
void setrlimit(int resource, std::string_view name, const struct rlimit& limit,
               std::string_view rule = {});

// sigprocmask(2): `how` is SIG_BLOCK, SIG_UNBLOCK or SIG_SETMASK.
void sigprocmask(int how, const sigset_t& set, std::string_view rule = {});
// signalfd(2) for a new fd (flags: SFD_CLOEXEC, SFD_NONBLOCK).
unique_fd signalfd(const sigset_t& set, int flags, std::string_view rule = {});

// ---- Namespaces and identity -----------------------------------------------------------------

void unshare(int flags, std::string_view rule = {});
// setns(2) into the namespace `fd` names; `nstype` is a CLONE_NEW* flag or 0.
void setns(int fd, int nstype, std::string_view rule = {});
void sethostname(const std::string& name, std::string_view rule = {});
void setdomainname(const std::string& name, std::string_view rule = {});
void setgroups(const std::vector<gid_t>& groups, std::string_view rule = {});
void setgid(gid_t gid, std::string_view rule = {});
void setuid(uid_t uid, std::string_view rule = {});
// umask(2) never fails; returns the previous mask.
mode_t umask(mode_t mask, std::string_view rule = {});

// ---- Mounts and the root ---------------------------------------------------------------------

// mount(2). An empty source, fstype or data is passed as NULL.
void mount(const std::string& source, const std::string& target, const std::string& fstype,
           unsigned long flags, const std::string& data = "", std::string_view rule = {});
void umount2(const std::string& target, int flags, std::string_view rule = {});
// mount_setattr(2) on `path` relative to `dirfd` (AT_FDCWD); flags: AT_RECURSIVE...
void mount_setattr(int dirfd, const std::string& path, unsigned int flags,
                   const struct mount_attr& attr, std::string_view rule = {});
// open_tree(2): an fd for the mount at `path` (OPEN_TREE_CLONE: a detached copy of it, with
// AT_RECURSIVE the mounts below too; AT_EMPTY_PATH with "": the object `dirfd` names).
unique_fd open_tree(int dirfd, const std::string& path, unsigned int flags,
                    std::string_view rule = {});
// move_mount(2): attach the mount `from_dirfd`/`from_path` at `to_dirfd`/`to_path`;
// MOVE_MOUNT_F_EMPTY_PATH and MOVE_MOUNT_T_EMPTY_PATH take the fds themselves, no path lookup.
void move_mount(int from_dirfd, const std::string& from_path, int to_dirfd,
                const std::string& to_path, unsigned int flags, std::string_view rule = {});
void pivot_root(const std::string& new_root, const std::string& put_old,
                std::string_view rule = {});
void chroot(const std::string& path, std::string_view rule = {});
void chdir(const std::string& path, std::string_view rule = {});
void fchdir(int fd, std::string_view rule = {});
// getcwd(3): the working directory as seen from this process's root. Fails with ENOENT when the
// working directory is not below that root (the kernel's getcwd(2) says "(unreachable)").
std::string getcwd(std::string_view rule = {});

// ---- Files -----------------------------------------------------------------------------------

// open(2) and openat(2) with exactly `flags` (add O_CLOEXEC yourself).
unique_fd open(const std::string& path, int flags, mode_t mode = 0, std::string_view rule = {});
unique_fd openat(int dirfd, const std::string& path, int flags, mode_t mode = 0,
                 std::string_view rule = {});
// openat2(2): openat with `resolve`, how the kernel may walk `path` (RESOLVE_IN_ROOT: as if
// `dirfd` were "/", so neither ".." nor a symlink leaves it; RESOLVE_NO_MAGICLINKS...).
unique_fd openat2(int dirfd, const std::string& path, int flags, uint64_t resolve,
                  std::string_view rule = {});
// mkdirat(2): one directory `name` in the directory `dirfd`.
void mkdirat(int dirfd, const std::string& name, mode_t mode, std::string_view rule = {});
// mkdir(2): one directory; EEXIST is an error (file.hpp's mkdir_all makes parents).
void mkdir(const std::string& path, mode_t mode, std::string_view rule = {});
// mknod(2): `mode` carries the type (S_IFCHR, S_IFBLK, S_IFIFO) and the permission bits.
void mknod(const std::string& path, mode_t mode, dev_t dev, std::string_view rule = {});
// mkfifo(3): a named pipe at `path`. It is an error if anything exists there already.
void mkfifo(const std::string& path, mode_t mode, std::string_view rule = {});
void chmod(const std::string& path, mode_t mode, std::string_view rule = {});
void fchmod(int fd, mode_t mode, std::string_view rule = {});
void chown(const std::string& path, uid_t uid, gid_t gid, std::string_view rule = {});
// lchown(2): a symlink itself, not what it points to.
void lchown(const std::string& path, uid_t uid, gid_t gid, std::string_view rule = {});
void fchown(int fd, uid_t uid, gid_t gid, std::string_view rule = {});
// symlink(2): a link at `linkpath` whose content is `target`.
void symlink(const std::string& target, const std::string& linkpath, std::string_view rule = {});
void unlink(const std::string& path, std::string_view rule = {});
// unlinkat(2) of `name` in the directory `dirfd` (flags: AT_REMOVEDIR).
void unlinkat(int dirfd, const std::string& name, int flags, std::string_view rule = {});
void rmdir(const std::string& path, std::string_view rule = {});
// statfs(2): what filesystem `path` is on (`out.f_type`: CGROUP2_SUPER_MAGIC, TMPFS_MAGIC ...).
void statfs(const std::string& path, struct statfs& out, std::string_view rule = {});
// flock(2) retrying EINTR. With LOCK_NB, returns false when another holds the lock.
bool flock(int fd, int operation, std::string_view rule = {});

// ---- File descriptors ------------------------------------------------------------------------

// dup2(2): `newfd` becomes a copy of `oldfd` (without CLOEXEC).
void dup2(int oldfd, int newfd, std::string_view rule = {});
// pipe2(2): {read end, write end}.
std::pair<unique_fd, unique_fd> pipe2(int flags, std::string_view rule = {});
// A connected AF_UNIX SOCK_SEQPACKET pair, both ends CLOEXEC.
std::pair<unique_fd, unique_fd> socketpair(std::string_view rule = {});
// memfd_create(2): an anonymous file (flags: MFD_CLOEXEC, MFD_ALLOW_SEALING).
unique_fd memfd_create(const std::string& name, unsigned int flags, std::string_view rule = {});
// fcntl(F_ADD_SEALS): forbid, for good, what `seals` names (F_SEAL_SEAL|F_SEAL_SHRINK|
// F_SEAL_GROW|F_SEAL_WRITE) on a memfd made with MFD_ALLOW_SEALING.
void add_seals(int fd, unsigned int seals, std::string_view rule = {});
// fcntl(F_GET_SEALS): the seals of the file `fd` refers to, or -1 where the file cannot carry
// seals at all (EINVAL: not a memfd or other shmem file).
int get_seals(int fd, std::string_view rule = {});
// sendfile(2) of up to `count` bytes from the current offset of `in_fd` to `out_fd` (any file
// since Linux 2.6.33). Returns the bytes copied, 0 at the end of `in_fd`; call it in a loop.
size_t sendfile(int out_fd, int in_fd, size_t count, std::string_view rule = {});

// ---- eBPF (phase 5: the device cgroup) -------------------------------------------------------

// bpf(2) BPF_PROG_LOAD: a program of `prog_type` (BPF_PROG_TYPE_CGROUP_DEVICE) made of `count`
// instructions, under `license`. The fd is CLOEXEC. When the verifier refuses it, the Error
// carries the verifier's last line.
unique_fd bpf_prog_load(uint32_t prog_type, const struct bpf_insn* insns, size_t count,
                        const std::string& license, std::string_view rule = {});
// bpf(2) BPF_PROG_ATTACH: run `prog_fd` for `target_fd` (a cgroup directory) at `attach_type`
// (BPF_CGROUP_DEVICE); `flags`: BPF_F_ALLOW_MULTI lets several programs share the hook.
void bpf_prog_attach(int prog_fd, int target_fd, uint32_t attach_type, uint32_t flags,
                     std::string_view rule = {});
// bpf(2) BPF_PROG_DETACH of the program `prog_fd` from `target_fd` at `attach_type`.
void bpf_prog_detach(int prog_fd, int target_fd, uint32_t attach_type, std::string_view rule = {});
// bpf(2) BPF_PROG_QUERY: the ids of the programs attached to `target_fd` at `attach_type`.
std::vector<uint32_t> bpf_prog_query(int target_fd, uint32_t attach_type,
                                     std::string_view rule = {});
// bpf(2) BPF_PROG_GET_FD_BY_ID: an fd (CLOEXEC) for the program with that id.
unique_fd bpf_prog_get_fd_by_id(uint32_t id, std::string_view rule = {});

// ---- seccomp (phase 5: linux.seccomp) --------------------------------------------------------

// seccomp(2) SECCOMP_SET_MODE_FILTER: install the classic BPF program `insns` (`count`
// instructions, as libseccomp's seccomp_export_bpf() writes them) on the calling thread, with
// `flags` (SECCOMP_FILTER_FLAG_*). Needs no_new_privs or CAP_SYS_ADMIN. Returns seccomp(2)'s
// result: with SECCOMP_FILTER_FLAG_NEW_LISTENER the notify fd (CLOEXEC), otherwise 0.
int seccomp_set_filter(unsigned int flags, const struct sock_filter* insns, size_t count,
                       std::string_view rule = {});

// ---- Keys (phase 5: the session keyring) -----------------------------------------------------

// keyctl(2) KEYCTL_JOIN_SESSION_KEYRING: make the keyring named `name` the caller's session
// keyring, a new one unless one of that name exists that the caller may search. Returns its
// serial number. ENOSYS: a kernel without keys (CONFIG_KEYS off).
int32_t join_session_keyring(const std::string& name, std::string_view rule = {});
// keyctl(2) KEYCTL_DESCRIBE: "type;uid;gid;perm;description", perm in hex (keyctl_describe(3)).
std::string describe_key(int32_t key, std::string_view rule = {});
// keyctl(2) KEYCTL_SETPERM: the key's permission mask (possessor, user, group, other).
void set_key_perm(int32_t key, uint32_t perm, std::string_view rule = {});

// ---- Terminals -------------------------------------------------------------------------------

// ioctl(2) with an int argument, for TIOCSCTTY (arg: 0 or 1) and the like.
void ioctl(int fd, unsigned long request, int arg, std::string_view rule = {});
// ioctl(2) with a window size: TIOCGWINSZ fills `ws`, TIOCSWINSZ sets it.
void ioctl(int fd, unsigned long request, struct winsize& ws, std::string_view rule = {});

// ---- Pure helpers (rung_common, not faked) ---------------------------------------------------

// The shell's convention for a wait status: the exit code, or 128+N for death by signal N.
int exit_code_of(int wait_status);

// A signal's name for messages: "SIGKILL", "SIGRTMIN+2", or "signal 99" if it has none.
std::string signal_name(int sig);
// A signal by name or number: "KILL", "SIGKILL", "kill" and "9" are all SIGKILL; "RTMIN+2"
// works too. Throws an Error naming anything else.
int parse_signal(std::string_view name);
// A signal by name or number: "KILL", "SIGKILL", "kill" and "9" are all SIGKILL; "RTMIN+2"
// works too. Throws an Error naming anything else.
int parse_signal(std::string_view name);

// Human-readable flag sets for the debug trace: "CLONE_NEWNS|CLONE_NEWPID".
std::string clone_flags_string(unsigned long flags);
std::string mount_flags_string(unsigned long flags);
// MOUNT_ATTR_* bits: "MOUNT_ATTR_RDONLY|MOUNT_ATTR_NOSUID".
std::string mount_attr_string(uint64_t attr);
// F_SEAL_* bits: "F_SEAL_SEAL|F_SEAL_WRITE".
std::string seals_string(unsigned int seals);
// open(2) flags: "O_RDONLY|O_CLOEXEC".
std::string open_flags_string(int flags);
// An fd for a message: `5</run/rung/x/exec.fifo>` (as strace -y prints it), or `5`.
std::string fd_string(int fd);

} // namespace rung::sys
