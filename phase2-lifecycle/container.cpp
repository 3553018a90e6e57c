// container: the runtime's side of the lifecycle (runtime.md, "Lifecycle" and "Operations").
//
// `create` clones init into new namespaces, waits until init reports it is ready, writes the
// state and exits, leaving init blocked on the exec FIFO. `start` opens the FIFO, which lets init
// exec the user's program. `kill` and `delete` act on the process the state names, and `run` is
// create + start + wait + delete in one foreground command.
//
// Who reaps a created container? Not `rung create`: it exits at once, and init is reparented to
// the nearest subreaper above it (PR_SET_CHILD_SUBREAPER; conmon and containerd-shim are one) or
// to the host's PID 1, which collects its exit status. That is the OCI convention
// (command-line-interface.md, "Container process exit"). Until then a dead init is a zombie,
// which rung reports as stopped. `rung run` is init's parent and reaps it itself.
#include "container.hpp"

#include "foreground.hpp"
#include "init.hpp"
#include "preflight.hpp"
#include "processes.hpp"
#include "rung/error.hpp"
#include "rung/fault.hpp"
#include "rung/fd.hpp"
#include "rung/file.hpp"
#include "rung/log.hpp"
#include "rung/sync.hpp"
#include "rung/sys.hpp"
#include "spec.hpp"
#include "state.hpp"

#include <csignal>
#include <fcntl.h>
#include <iostream>
#include <poll.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

namespace rung {
namespace {

// Phase 2 creates phase 1's namespaces; linux.namespaces in config.json takes over in phase 3.
constexpr unsigned long kNamespaces =
    CLONE_NEWUTS | CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWNET;

// config.md wants an error for a property the runtime cannot apply; a tutorial phase cannot
// apply most of them yet, so it names them in one warning with the phase that adds each, once
// the container exists (a failed create prints only its error). `run` warns too, on stderr
// before the container's own output, as runc does; `--log FILE` sends it to the log instead.
void report_not_applied(const Spec& spec) {
    if (spec.not_applied.empty()) return;
    log::warn("config.json: not applied by phase 2: " + spec.not_applied);
}

// runtime.md, "Create": process.args MUST NOT run until start. The FIFO is what init will wait
// on; it exists from now until start removes it, which is also how `state` tells `created`.
void make_exec_fifo(const ContainerDir& dir) {
    sys::mkfifo(dir.fifo_path(), 0600, "runtime.md: Create, the program waits for start");
}

sys::Cloned spawn_init(const Spec& spec, const std::string& rootfs, ContainerDir& dir,
                       unique_fd& parent_end, unique_fd& child_end) {
    log::trace("rung", "runtime-spec: config-linux.md, namespaces", "clone3(",
               sys::clone_flags_string(kNamespaces), "|CLONE_PIDFD, SIGCHLD)");
    sys::CloneArgs args;
    args.flags = kNamespaces;
    sys::Cloned init = sys::clone_process(args);
    if (init.pid == 0) {
        parent_end.reset();
        dir.drop_lock(); // else init would keep the container locked until it execs
        container_init(spec, rootfs, dir.fifo_path(), child_end.get());
    }
    child_end.reset();
    log::trace("rung", "", "init is pid ", init.pid, " on the host, pid 1 inside");
    return init;
}

// Reap a failed init and return the status rung should exit with: init's own (127 for a
// command that is not found), or 1 if it did not exit by itself.
int init_exit_status(pid_t pid) {
    int status = sys::wait_for(pid);
    return WIFEXITED(status) && WEXITSTATUS(status) != 0 ? WEXITSTATUS(status) : 1;
}

// Wait for init's next frame of type `want`; an error frame (or EOF) becomes init's error.
void expect_frame(pid_t pid, int sync_fd, sync::Type want) {
    try {
        sync::expect(sync_fd, want, "rung");
    } catch (Error& e) {
        e.add_context("init").set_exit_status(init_exit_status(pid));
        throw;
    }
}

// What the runtime does to init from outside, between clone and "go", while init waits and has
// touched nothing yet (nsjail's initParent, crun's libcrun_cgroup_enter). There is no such step
// yet; the list grows here: phase 4 places init in its cgroup and applies linux.resources, and
// phase 5 writes its uid_map, setgroups and gid_map.
void setup_from_parent(const Spec& /*spec*/, pid_t /*pid*/) {}

// Let init go on, and tell it its pid as the host sees it: the state its hooks receive names it.
void send_go(int sync_fd, pid_t pid) {
    log::trace("rung", "", "send(sync, go, pid ", pid, ")");
    sync::send(sync_fd, sync::Frame{sync::Type::go, 0, pid, {}});
}

// The owner's name, as runc's list shows it: the /etc/passwd entry of our effective uid, read
// directly as runc's user package does. Through libc it would be NSS: two tries of nscd's
// socket, nsswitch.conf, then the same file, a dozen system calls for one name.
std::string current_user() {
    uid_t uid = ::geteuid();
    std::string field = ":" + std::to_string(uid) + ":"; // name:password:UID:GID:...
    std::string passwd;
    try {
        passwd = read_file("/etc/passwd");
    } catch (const Error&) {
        return std::to_string(uid);
    }
    for (size_t at = 0; at < passwd.size();) {
        size_t end = std::min(passwd.find('\n', at), passwd.size());
        std::string_view line(passwd.data() + at, end - at);
        size_t name_end = line.find(':');
        size_t uid_at = name_end == line.npos ? line.npos : line.find(':', name_end + 1);
        if (uid_at != line.npos && line.substr(uid_at).starts_with(field))
            return std::string(line.substr(0, name_end));
        at = end + 1;
    }
    return std::to_string(uid);
}

// runtime.md, "State": what every later command needs to find and recognise this container,
// filled in as create goes (pid 0 until init exists).
State new_state(const std::string& id, const std::string& bundle, const std::string& rootfs,
                const Spec& spec) {
    State s;
    s.id = id;
    s.bundle = bundle;
    s.rootfs = rootfs;
    s.annotations = spec.annotations;
    s.owner = current_user();
    return s;
}

// The pid and start time together name init: a pid alone may be reused once it exits.
void record_init(State& s, pid_t pid) {
    s.pid = pid;
    s.start_time = read_proc_stat(pid).value_or(ProcStat{}).start_time;
}

void save_state(const ContainerDir& dir, State& s) {
    s.created = log::now_rfc3339();
    dir.write_state(s);
}

// command-line-interface.md, create --pid-file: the container's pid, written atomically so a
// watcher never reads half a number.
void write_pid_file(const std::string& path, pid_t pid) {
    if (path.empty()) return;
    log::trace("rung", "runtime-tools CLI: create --pid-file", "write ", quote(path), " = ", pid);
    write_file_atomic(path, std::to_string(pid));
}

// runtime.md, "Create" is done: state.json and the pid file name init. Until this frame init
// exits if the runtime goes away, so a create killed at any step leaves no running container.
void commit(int sync_fd) {
    log::trace("rung", "runtime.md: Create, committed", "send(sync, committed)");
    sync::send(sync_fd, sync::Type::committed);
}

[[noreturn]] void wrong_status(const std::string& id, Status s, std::string_view rule) {
    throw Error("container " + quote(id) + " is " + status_name(s) + ": " + std::string(rule));
}

// runtime.md, lifecycle step 12: the one teardown, for `delete` and for a create that failed,
// or was killed and is deleted later. In this order: kill every process of the container; remove
// the state directory. Each step acts on what is there, so a container that got halfway is torn
// down as far as it got. The mounts are init's, in its own mount namespace: they go with its
// last process. Phase 3 adds the poststop hooks, phase 4 the removal of the cgroup.
void destroy(const ContainerDir& dir, const State& st) {
    kill_and_wait(st);
    fault::point("destroy:killed");
    dir.remove();
    fault::point("destroy:state-dir");
}

// A create that fails before it commits is torn down by destroy(); its error is the one the user
// sees, so a failure of the teardown itself is a warning.
void roll_back(const ContainerDir& dir, const State& st) noexcept {
    try {
        destroy(dir, st);
    } catch (const std::exception& e) {
        log::warn(std::string("rolling back create: ") + e.what());
    }
}

// A corrupt state.json names no process: list shows that container as stopped and delete
// --force removes what is left of it, both with a warning that names the error.
State state_or_stopped(const ContainerDir& dir) {
    try {
        return dir.read_state();
    } catch (const Error& e) {
        log::warn("container " + quote(dir.id()) + ": " + e.what());
        State s;
        s.id = dir.id();
        return s;
    }
}

// runtime.md, "Start": open the FIFO for reading. O_NONBLOCK, so that this open returns at once
// even if init died and nobody will ever open the other end.
unique_fd open_exec_fifo(const ContainerDir& dir) {
    log::trace("rung", "runtime.md: Start", "open(", quote(dir.fifo_path()),
               ", O_RDONLY|O_NONBLOCK)");
    return open_file(dir.fifo_path(), O_RDONLY | O_NONBLOCK);
}

// Wait until init has opened its end and written the start byte, or has died; then go back to
// blocking reads, which return data, or EOF once init's end is closed.
void wait_for_init(int fifo, int pidfd) {
    pollfd fds[2] = {{fifo, POLLIN, 0}, {pidfd, POLLIN, 0}};
    while (::poll(fds, 2, -1) == -1)
        if (errno != EINTR) throw_errno("poll exec.fifo");
    check(::fcntl(fifo, F_SETFL, ::fcntl(fifo, F_GETFL) & ~O_NONBLOCK), "fcntl exec.fifo");
}

// The byte init writes when its open(O_WRONLY) returned: it is past the point of no return.
void read_start_byte(int fifo) {
    char byte;
    if (read_full(fifo, &byte, 1) != 1) throw Error("init exited before it was started");
    log::trace("rung", "runtime.md: Start", "read(fifo) = \"", byte, "\"");
}

// The FIFO's write end closes when execve succeeds (O_CLOEXEC): EOF means the program runs. A
// frame is init's error, such as exec "x": Permission denied, sent as before "ready".
void wait_for_exec(int fifo) {
    with_context("init", [&] { sync::expect(fifo, sync::Type::eof, "rung"); });
    log::trace("rung", "runtime.md: Start, the program runs", "read(fifo) = EOF");
}

// Start, and if the program could not be exec'd, exit as init did (127: command not found).
void start_in_foreground(const CreateOptions& opts, pid_t pid) {
    try {
        start_container(opts.root, opts.id);
    } catch (Error& e) {
        ::kill(pid, SIGKILL); // our unreaped child: the pid cannot have been reused
        e.set_exit_status(init_exit_status(pid));
        throw;
    }
}

void print_table(const std::vector<ordered_json>& states) {
    const char* cols[] = {"id", "pid", "status", "bundle", "created", "owner"};
    std::vector<std::vector<std::string>> rows = {
        {"ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"}};
    for (const auto& s : states) {
        rows.emplace_back();
        for (const char* c : cols)
            rows.back().push_back(s[c].is_string() ? s[c].get<std::string>() : s[c].dump());
    }
    std::vector<size_t> width(std::size(cols), 0);
    for (const auto& r : rows)
        for (size_t i = 0; i < r.size(); ++i)
            width[i] = std::max(width[i], r[i].size());
    for (const auto& r : rows) {
        std::string line;
        for (size_t i = 0; i < r.size(); ++i)
            line += i + 1 < r.size() ? r[i] + std::string(width[i] - r[i].size() + 3, ' ') : r[i];
        std::cout << line << "\n";
    }
}

} // namespace

pid_t create_container(const CreateOptions& opts) {
    validate_id(opts.id);
    std::string bundle = absolute_bundle(opts.bundle);
    Spec spec = load_spec(bundle);
    std::string rootfs = check_rootfs(bundle, spec.root.path);
    check_process(spec.process, "config.json: process");

    ContainerDir dir = ContainerDir::create(opts.root, opts.id);
    // runtime.md, lifecycle step 12: until it commits, a failed create is destroyed as far as it
    // got.
    State st = new_state(opts.id, bundle, rootfs, spec);
    ScopeGuard rollback([&] { roll_back(dir, st); });
    fault::point("create:state-dir");
    make_exec_fifo(dir);
    fault::point("create:fifo");
    auto [parent_end, child_end] = sys::socketpair();
    pid_t pid = spawn_init(spec, rootfs, dir, parent_end, child_end).pid;
    record_init(st, pid);
    fault::point("create:clone");
    setup_from_parent(spec, pid);
    fault::point("create:from-parent");
    send_go(parent_end.get(), pid);
    fault::point("create:go");
    expect_frame(pid, parent_end.get(), sync::Type::ready);
    fault::point("create:ready");
    save_state(dir, st);
    fault::point("create:state");
    write_pid_file(opts.pid_file, pid);
    fault::point("create:pid-file");
    commit(parent_end.get());
    fault::point("create:committed");
    rollback.dismiss();
    report_not_applied(spec);
    return pid;
}

void start_container(const std::string& root, const std::string& id) {
    ContainerDir dir = ContainerDir::open(root, id, ContainerDir::Lock::exclusive);
    State st = dir.read_state();
    if (Status s = dir.status(st); s != Status::created)
        wrong_status(id, s, "only a created container can be started");
    auto pidfd = open_init(st);
    if (!pidfd) wrong_status(id, Status::stopped, "only a created container can be started");
    unique_fd fifo = open_exec_fifo(dir);
    fault::point("start:fifo-opened");
    wait_for_init(fifo.get(), pidfd->get());
    read_start_byte(fifo.get());
    fault::point("start:started");
    log::trace("rung", "runtime.md: Start, the container is now running", "unlink(",
               quote(dir.fifo_path()), ")");
    check(::unlink(dir.fifo_path().c_str()), "unlink " + quote(dir.fifo_path()));
    fault::point("start:fifo-removed");
    wait_for_exec(fifo.get());
    fault::point("start:exec");
}

ordered_json container_state(const std::string& root, const std::string& id) {
    ContainerDir dir = ContainerDir::open(root, id, ContainerDir::Lock::shared);
    State st = dir.read_state();
    return oci_state(st, dir.status(st));
}

// runtime.md, "Kill": only a created or running container can be signalled.
void kill_container(const std::string& root, const std::string& id, int sig) {
    ContainerDir dir = ContainerDir::open(root, id, ContainerDir::Lock::exclusive);
    State st = dir.read_state();
    auto pidfd = open_init(st);
    // "container not running" are runc's words, which containerd's shim looks for: they tell it
    // the process has already exited (not found, which the CRI's StopContainer accepts), not
    // that the kill failed.
    if (!pidfd)
        wrong_status(id, Status::stopped,
                     "only a created or running one can be signalled (container not running)");
    log::trace("rung", "runtime.md: Kill", "pidfd_send_signal(", st.pid, ", ",
               sys::signal_name(sig), ")");
    sys::pidfd_send_signal(pidfd->get(), sig, st.pid);
}

// runtime.md, "Delete": a container that is not stopped MUST NOT be deleted (--force kills it).
// --force of a container that is not there succeeds, as runc's does: containerd's shim relies on
// it to make delete idempotent.
void delete_container(const std::string& root, const std::string& id, bool force) {
    std::optional<ContainerDir> found = ContainerDir::find(root, id, ContainerDir::Lock::exclusive);
    if (!found && force) return;
    ContainerDir dir =
        found ? std::move(*found) : ContainerDir::open(root, id, ContainerDir::Lock::none);
    State st = force ? state_or_stopped(dir) : dir.read_state();
    if (Status s = dir.status(st); s != Status::stopped && !force)
        wrong_status(id, s, "stop it first, or use delete --force");
    destroy(dir, st);
}

// runc's `list --format json` fields, which engines read.
ordered_json list_entry(const State& s, Status status) {
    return {{"ociVersion", s.oci_version},
            {"id", s.id},
            {"pid", status == Status::stopped ? 0 : s.pid},
            {"status", status_name(status)},
            {"bundle", s.bundle},
            {"rootfs", s.rootfs},
            {"created", s.created},
            {"annotations", s.annotations},
            {"owner", s.owner}};
}

// No lock: state.json is replaced atomically, so each read sees a whole one. A directory without
// one whose lock is held is a create in progress, and is left out; one that nobody holds is a
// create that was killed, listed as stopped. A corrupt state.json is listed too, with a warning.
void list_containers(const std::string& root, const std::string& format, bool quiet) {
    std::vector<ordered_json> states;
    for (const auto& id : list_ids(root)) {
        std::optional<ContainerDir> dir = ContainerDir::find(root, id, ContainerDir::Lock::none);
        if (!dir) continue; // deleted since list_ids
        State st = state_or_stopped(*dir);
        if (st.pid == 0 && dir->locked_by_another()) continue;
        states.push_back(list_entry(st, dir->status(st)));
    }
    if (quiet) {
        for (const auto& s : states)
            std::cout << s["id"].get<std::string>() << "\n";
    } else if (format == "json") {
        std::cout << ordered_json(states).dump() << "\n";
    } else {
        print_table(states);
    }
}

int run_container(const CreateOptions& opts) {
    unique_fd sigfd = block_signals();
    pid_t pid = create_container(opts);
    // A failure deletes the container whatever --keep says; a process that exited does not.
    ScopeGuard remove([&] { delete_container(opts.root, opts.id, true); });
    start_in_foreground(opts, pid);
    int code = forward_signals_until_exit(pid, sigfd.get());
    remove.dismiss();
    if (!opts.keep) delete_container(opts.root, opts.id, false);
    return code;
}

} // namespace rung
