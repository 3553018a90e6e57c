// rung/sys.hpp: the thin syscall layer.
//
// Each wrapper does one syscall and turns -1/errno into a rung::Error that names the operation
// and its object. They do not log: the step function that calls them narrates (log::trace) why.
#pragma once

#include "rung/fd.hpp"

#include <string>
#include <string_view>
#include <sys/types.h>
#include <utility>
#include <vector>

namespace rung::sys {

// clone3(2) used like fork(2): the child continues here with a copy of the address space, in the
// new namespaces named by `flags` (CLONE_NEW*). SIGCHLD is added so waitpid() works as usual.
// Must be called while the process has a single thread. Returns 0 in the child.
pid_t clone_process(unsigned long flags);

void mount(const std::string& source, const std::string& target, const std::string& fstype,
           unsigned long flags, const std::string& data = "");
void umount2(const std::string& target, int flags);
void sethostname(const std::string& name);
void chroot(const std::string& path);
void chdir(const std::string& path);

// mkfifo(3): a named pipe at `path`. It is an error if anything exists there already.
void mkfifo(const std::string& path, mode_t mode);

// pidfd_open(2): an fd that names one process for as long as the fd is open, even after the pid
// number has been reused. poll(2) reports it readable once the process has exited. Fails with
// ESRCH when no process has that pid.
unique_fd pidfd_open(pid_t pid);
// pidfd_send_signal(2): signal exactly the process the pidfd names. `pid` is only for messages.
void pidfd_send_signal(int pidfd, int sig, pid_t pid);

// A connected AF_UNIX SOCK_SEQPACKET pair, both ends CLOEXEC.
std::pair<unique_fd, unique_fd> socketpair();

// waitpid(2) retrying EINTR. Returns the raw wait status.
int wait_for(pid_t pid);
// The shell's convention for a wait status: the exit code, or 128+N for death by signal N.
int exit_code_of(int wait_status);

// A signal's name for messages: "SIGKILL", "SIGRTMIN+2", or "signal 99" if it has none.
std::string signal_name(int sig);
// A signal by name or number: "KILL", "SIGKILL", "kill" and "9" are all SIGKILL; "RTMIN+2"
// works too. Throws an Error naming anything else.
int parse_signal(std::string_view name);

// Human-readable flag sets for the debug trace: "CLONE_NEWNS|CLONE_NEWPID".
std::string clone_flags_string(unsigned long flags);
std::string mount_flags_string(unsigned long flags);

} // namespace rung::sys
