// reexec: the runtime runs from a sealed copy of itself (the CVE-2019-5736 class).
//
// Between clone3(2) and execve(2), init is rung itself, and so is `rung exec`'s child before its
// execve: /proc/<pid>/exe of either is the runtime's binary. A process of the container that opens
// it (O_PATH will do), waits until no rung runs (no more ETXTBSY) and then reopens
// /proc/self/fd/N for writing, overwrites the host's rung: the next `rung` any engine runs, as
// root on the host, is the container's program.
//
// The defence: before create, run or exec clones anything into a container, rung copies its own
// binary into a memfd (memfd_create(2) with MFD_ALLOW_SEALING), seals it against any change
// (F_SEAL_SEAL|F_SEAL_SHRINK|F_SEAL_GROW|F_SEAL_WRITE) and re-executes itself from it with the
// same argv and environment. execve(2) keeps the pid, the fds the caller passed and the signal
// mask, so --pid-file, --preserve-fds and engines see nothing. From then on /proc/<pid>/exe of
// every rung process that reaches the container is the sealed memfd: opening it for writing fails
// (EPERM), and it is not the host's file anyway. The other commands (state, kill, list, ...) put
// no rung process in a container and do not pay for the copy.
//
// Why this and not runc's other defences:
//   - runc 1.0 made the same copy, but inside `runc init`, in the container's cgroup: the copy was
//     charged to the container's memory limit. rung copies in the runtime, on the host, before
//     clone3 (as runc 1.2 does, opencontainers/runc#3987), so the container never pays for it.
//   - runc's later "bindfd", a read-only bind mount of the binary in a private mount namespace,
//     and runc 1.2's private read-only overlayfs mount of it cost almost nothing, but need the
//     privilege to mount; rootless runc still falls back to the memfd copy.
//   - runc 1.2.0's "runc-dmz", a tiny static binary that only execs the container's program,
//     changed capabilities across its extra exec; runc 1.2.1 removed it again.
// A sealed memfd works as root and rootless alike, with nothing to mount or install, in a few
// lines; its price is one copy of the binary per create, run and exec (a stripped rung: noise).
// Init and exec's child are also made non-dumpable (hide_from_container below), which closes
// /proc/<pid>/{exe,fd,mem} to container processes without CAP_SYS_PTRACE over them.
#pragma once

namespace rung {

// Unless this process already runs from a sealed memfd, copy /proc/self/exe into one, seal it
// and execve(2) it with this process's argv and environment. Returns only when already sealed.
void run_from_sealed_copy();

// prctl(PR_SET_DUMPABLE, 0) for init and exec's child, until their execve. A process that is not
// dumpable keeps /proc/<pid>/{exe,fd,mem,environ,...} from any process without CAP_SYS_PTRACE in
// the user namespace the runtime started in: the container cannot reach the runtime's fds (the
// state directory init holds, the sync socket) nor its binary. execve(2) of a program its user
// may read makes the process dumpable again, as it should be.
void hide_from_container();

} // namespace rung
