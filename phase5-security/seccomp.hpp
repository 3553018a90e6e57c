// seccomp: linux.seccomp, a filter on the container process's system calls, through libseccomp.
//
// config-linux.md, "Seccomp": the actions, architectures and operators are libseccomp's names.
// The profile is compiled once for a container, and loaded once:
//
//   - preflight (the runtime, before create makes anything): compiled down to the BPF program
//     the kernel runs and the seccomp(2) flags, so that a bad profile fails create in one line
//     with nothing left behind (`rung exec` compiles it before it forks, too). Compiling is
//     nearly all that seccomp costs (libseccomp builds and optimises its decision tree: some
//     40 ms for rung spec's profile), so the program is kept in a cache in the state root,
//     `<root>/.seccomp/` (seccomp_cache.cpp), as crun does: the same profile on the same host
//     is compiled once, not at every create and exec;
//   - init (and `rung exec`'s child) inherits the program with the runtime's memory and, with
//     listenerPath, connects to the agent's socket while the host's paths are in view;
//   - loaded in exec_process as late as the kernel lets it (DESIGN.md §5: "seccomp, as late as
//     possible so the filter need not allow the runtime's own syscalls"): one seccomp(2) call,
//     nothing left to compute between the exec FIFO and execve.
//
// When is "as late as possible"? A process may install a filter only if it has no_new_privs set
// or CAP_SYS_ADMIN in its effective set (seccomp(2)). So, as runc (standard_init_linux.go) and
// crun do:
//   - process.noNewPrivileges true: the filter is loaded after no_new_privs, after the signal
//     mask is reset and the program is found: the next system call is execve(2) itself;
//   - false: loaded before the user and the capabilities change, while init is still root with
//     every capability. The filter must then also allow what follows: setgroups, setgid,
//     setuid, capset, prctl, stat and access (the PATH search), rt_sigprocmask and execve. The
//     usual profiles do (rung spec's does).
// execve must stay allowed in any case: rung does not add it (nor does runc).
//
// Syscall names. The spec says nothing of a name the runtime cannot resolve. A profile lists
// the syscalls of every architecture it names (rung spec's lists arch_prctl and socketcall
// together), so a name that libseccomp knows on *some* architecture but not the native one is
// added for the architectures that have it, or none (traced), as libseccomp does with its
// pseudo syscall numbers. A name libseccomp knows on no architecture is an error naming
// `.linux.seccomp.syscalls[i].names[j]`: it is a misspelling, or a syscall newer than this
// libseccomp, and either way the profile would not filter what it says. (runc and crun skip it
// silently; DESIGN.md §5 and issue 9 ask for the error.)
//
// Rules. errnoRet defaults to EPERM for SCMP_ACT_ERRNO and SCMP_ACT_TRACE (TRACE passes it to
// the tracer as the message). A rule whose action is the default action is skipped (libseccomp
// refuses it, and it changes nothing). args: conditions on different arguments all must hold
// (AND); when one argument is named twice, libseccomp cannot AND them, so, as runc, each
// condition becomes a rule of its own (OR): that is how profiles allow personality(0) or
// personality(8). SCMP_CMP_MASKED_EQ compares (arg & value) == valueTwo.
//
// SCMP_ACT_NOTIFY: the filter is loaded with a listener (SECCOMP_FILTER_FLAG_NEW_LISTENER, set
// when a rule notifies, as libseccomp's seccomp_load does; with TSYNC also TSYNC_ESRCH, so that
// the call can return the fd) and its fd goes to the agent at listenerPath with
// SCM_RIGHTS, with the container process state (runtime.md) as payload, in one sendmsg(2),
// then the connection is closed. That sendmsg comes after the load, so the filter must allow
// sendmsg and must not notify on it: a NOTIFY rule naming sendmsg, or NOTIFY as the default
// action, is an error (runc refuses the latter too). NOTIFY without listenerPath is an error:
// nobody could ever answer, and the process would hang on its first notified call.
#pragma once

#include "rung/fd.hpp"
#include "spec.hpp"

#include <cstdint>
#include <linux/filter.h>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

namespace rung::seccomp {

// What the kernel is handed: seccomp(2)'s SECCOMP_FILTER_FLAG_* and the classic BPF program.
struct Program {
    uint32_t flags = 0;
    std::vector<sock_filter> insns;
};

// linux.seccomp compiled into a BPF program, not loaded yet.
class Filter {
public:
    // Translate the whole profile and generate its program (libseccomp's seccomp_export_bpf).
    // Throws Error naming the JSON path (".linux.seccomp...") of the first thing libseccomp or
    // this kernel cannot do. Touches no file.
    explicit Filter(const Seccomp& profile);
    // The profile with the program it was compiled to earlier (a cache entry): not validated
    // or compiled again.
    Filter(const Seccomp& profile, Program program);
    ~Filter();
    Filter(Filter&&) noexcept;
    Filter& operator=(Filter&&) noexcept;

    // With listenerPath and a SCMP_ACT_NOTIFY rule: connect to the agent now, while its path is
    // in view (before pivot_root, or before `rung exec` joins the mount namespace), so that a
    // missing agent fails create. `state` is the container's state (runtime.md), `pid` the
    // container process's as the runtime sees it: the container process state sent at load.
    void connect_listener(pid_t pid, const std::string& state);

    // Install the filter on the calling process: one seccomp(2) call. With a listener, the call
    // returns the notify fd, which goes to the agent.
    void load();

    const Program& program() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// ---- The cache of compiled filters (seccomp_cache.cpp) ----

// The profile compiled for this host: from `<root>/.seccomp/` when an entry holds it, otherwise
// compiled (Filter(profile), which validates it in full) and written there. A cache that cannot
// be read or written only costs the compile; it never fails the caller.
Filter cached_filter(const Seccomp& profile, const std::string& root);

// What a compiled program depends on, as bytes: the profile (canonical JSON of the model),
// libseccomp's version and API level, the native architecture and the kernel release. nullopt
// when the kernel release cannot be read (then nothing is cached).
std::optional<std::string> cache_key(const Seccomp& profile);
// An entry: the full key, then the flags and the program.
std::string encode_entry(const std::string& key, const Program& program);
// The program of `entry` if it is well formed and its key is exactly `key`; nullopt otherwise.
std::optional<Program> decode_entry(std::string_view entry, const std::string& key);
// The file name of the entry for `key` (a hash of it, in hex).
std::string entry_name(const std::string& key);

} // namespace rung::seccomp
