// process: the container process's own last steps, from init (or `rung exec`) to execve(2).
//
// They run in the order phase 5 needs (DESIGN.md, section 5):
//
//   close_inherited_fds -> LSM exec labels -> rlimits -> drop the bounding set -> keep
//   capabilities -> [seccomp without no_new_privs] -> set_user -> effective, permitted,
//   inheritable -> ambient -> no_new_privs -> find_executable -> signal mask ->
//   [seccomp with no_new_privs] -> argv, env -> execve
//
// Everything that needs root's power runs first, while init still has it. The bounding set is
// dropped before set_user, not after: PR_CAPBSET_DROP needs CAP_SETPCAP in the effective set,
// and setuid(2) to a uid other than 0 empties that set (capabilities.hpp). seccomp.hpp says why
// the filter goes on at one of two places.
#pragma once

#include "spec.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace rung {

namespace seccomp {
class Filter;
}

// Close every fd above stderr that was inherited without FD_CLOEXEC (init and exec, first
// thing), but the first `preserve_fds` of them (3 to 3+N-1). `who` labels the trace.
void close_inherited_fds(std::string_view who, int preserve_fds = 0);

// config.md, process.cwd: chdir(2) there, inside the container's root, and refuse a directory
// the root does not reach. Init applies it at create (the spec allows the non-args process
// properties then), so that a bad cwd fails create, not start; `rung exec` before execve.
void enter_cwd(const std::string& cwd);

// The path execve will run for process.args[0]: looked up in the PATH of process.env.
std::string find_executable(const std::string& cmd, const std::vector<std::string>& env);

// execve(2) `file` with exactly `args` and `env`, and no signal blocked (`rung run` blocks them
// to forward them; a new program starts with none). Shared by the container process and hooks.
// Returns only by throwing: 127 if `file` is not there, 126 if it cannot be run.
[[noreturn]] void execute(const std::string& file, const std::vector<std::string>& args,
                          const std::vector<std::string>& env);

// The last steps every container process takes, shared by init and `rung exec`: its LSM
// labels and rlimits, its capabilities around becoming process.user with its umask, then
// no_new_privs, find args[0] in the container's PATH, install `filter` (linux.seccomp; null:
// none), and execve. Throws on failure (127 if the program is not there, 126 if it cannot be
// run).
[[noreturn]] void exec_process(const Process& process, seccomp::Filter* filter);

} // namespace rung
