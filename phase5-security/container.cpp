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
#include "hooks.hpp"
#include "init.hpp"
#include "namespaces.hpp"
#include "preflight.hpp"
#include "processes.hpp"
#include "rootfs.hpp"
#include "rung/error.hpp"
#include "rung/fault.hpp"
#include "rung/fd.hpp"
#include "rung/file.hpp"
#include "rung/log.hpp"
#include "rung/sync.hpp"
#include "rung/sys.hpp"
#include "spec.hpp"
#include "state.hpp"
#include "terminal.hpp"
#include "userns.hpp"

#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <iostream>
#include <poll.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

namespace rung {
namespace {

// config.md wants an error for a property the runtime cannot apply; a tutorial phase cannot
// apply most of them yet, so it names them in one warning with the phase that adds each, once
// the container exists (a failed create prints only its error). `run` warns too, on stderr
// before the container's own output, as runc does; `--log FILE` sends it to the log instead.
void report_not_applied(const Spec& spec) {
    for (const std::string& line : {describe_unapplied(spec), describe_unknown(spec)})
        if (!line.empty()) log::warn(line);
}

// runtime.md, "Create": process.args MUST NOT run until start. The FIFO is what init will wait
// on; it exists from now until start removes it, which is also how `state` tells `created`.
void make_exec_fifo(const ContainerDir& dir, const NamespacePlan& plan) {
    sys::mkfifo(dir.fifo_path(), 0600, "runtime.md: Create, the program waits for start");
    open_fifo_to_user_namespace(dir.path(), dir.fifo_path(), plan);
}

std::string current_user();

// config-linux.md, "Control groups": the cgroup exists before init does, so that clone3 can start
// init in it. The state names it first: a create killed at any step from here on leaves a record
// that `delete --force` finds. A cgroup that was there before (and is unfit, or is not ours) is
// not recorded as ours once create() refused it.
// Rootless (runc's rule): a user who may make the cgroup (inside one delegated to it) gets it, with
// the limits its delegated controllers allow; one who may not, and asks for no resources, runs
// the container without one of its own: it stays in the caller's, `delete` kills it by its init,
// and pause, ps, update and events have nothing to act on. A limit without a cgroup is an error
// (OCI: a property the runtime cannot apply fails create).
void make_cgroup(const ContainerDir& dir, State& st, CgroupPlan& cg) {
    st.cgroup = cg.cgroup.path();
    st.cgroups_created = cg.cgroup.missing();
    dir.write_state(st);
    try {
        st.cgroups_created = cg.cgroup.create(cgroups::controllers_of(cg.writes));
    } catch (Error& e) {
        st.cgroup.clear();
        st.cgroups_created.clear();
        bool denied = e.err() == EACCES || e.err() == EPERM || e.err() == EROFS;
        if (!rootless_runtime() || !denied) throw;
        if (!cg.writes.empty())
            throw e.add_context("rootless: " + cg.writes.front().property +
                                " needs a cgroup, and none is delegated to " + current_user() +
                                " (run rung in a delegated cgroup: systemd-run --user --scope; "
                                "scripts/doctor.sh checks)");
        log::trace("rung", "runc: rootless, no cgroup delegated", e.what(),
                   ": the container has no cgroup of its own");
        cg.none = true;
        dir.write_state(st);
    }
}

struct Spawned {
    pid_t pid = 0;
    bool in_cgroup = false; // started in its cgroup by clone3
};

// `extra`: CLONE_PARENT when a helper clones init for the runtime (spawn_init_in_user_namespace).
Spawned clone_init(InitContext& ctx, const NamespacePlan& plan, const CgroupPlan& cg,
                   ContainerDir& dir, unique_fd& parent_end, unique_fd& child_end,
                   unsigned long extra = 0) {
    // pid and time namespaces given by path are entered by the runtime: they apply to children.
    ChildNamespaces for_children(plan);
    unique_fd cgroup_fd = cg.none ? unique_fd() : cg.cgroup.open();
    sys::CloneArgs args;
    // A new cgroup namespace is rooted at the cgroup its creator is in: init unshares it once it
    // is in its own (init.cpp), not here, where it would be rooted at the runtime's.
    args.flags = (plan.clone_flags & ~static_cast<unsigned long>(CLONE_NEWCGROUP)) | extra;
    args.cgroup_fd = cg.none ? -1 : cgroup_fd.get();
    // clone3(2): with CLONE_PARENT the exit signal is the caller's own, and must be given as 0.
    if (extra & CLONE_PARENT) args.exit_signal = 0;
    log::trace("rung", "config-linux.md: namespaces, Control groups", "clone3(",
               sys::clone_flags_string(args.flags), "|CLONE_PIDFD|CLONE_INTO_CGROUP, cgroup ",
               quote(cg.cgroup.dir()), ", SIGCHLD)");
    sys::Cloned init;
    // Where the kernel cannot start it in its cgroup, setup_from_parent() moves it before "go".
    bool in_cgroup = cgroups::clone_into_cgroup(args, init);
    if (init.pid == 0) {
        parent_end.reset();
        cgroup_fd.reset(); // the cgroup directory is the runtime's to hold, not the container's
        dir.drop_lock();   // else init would keep the container locked until it execs
        ctx.sync_fd = child_end.get();
        container_init(ctx);
    }
    if (extra & CLONE_PARENT)
        for_children.stay(); // the helper (spawn_init) exits next
    else
        for_children.restore();
    child_end.reset();
    log::trace("rung", "", "init is pid ", init.pid, " on the host, pid 1 inside");
    return Spawned{init.pid, in_cgroup};
}

// config-linux.md, namespaces: a container that joins a user namespace and has new namespaces
// of its own needs those owned by the joined one, or init's capabilities there would not reach
// them (its first mount fails with EPERM). So they are created from inside it: a helper child
// joins it and clones init, as the runtime's child (CLONE_PARENT), then reports its pid and
// exits. (runc's nsexec does the same with setns, then unshare.)
Spawned spawn_init(InitContext& ctx, const NamespacePlan& plan, const CgroupPlan& cg,
                   ContainerDir& dir, unique_fd& parent_end, unique_fd& child_end) {
    const NamespaceJoin* user = joined_user_namespace(plan);
    bool rootless_joins = ::geteuid() != 0 && !plan.join.empty();
    if (!user || (plan.clone_flags == 0 && !rootless_joins))
        return clone_init(ctx, plan, cg, dir, parent_end, child_end);
    HelperCloned c = clone_in_user_namespace(*user, [&](unsigned long extra) {
        Spawned s = clone_init(ctx, plan, cg, dir, parent_end, child_end, extra);
        return HelperCloned{s.pid, s.in_cgroup};
    });
    child_end.reset();
    log::trace("rung", "", "init is pid ", c.pid, " on the host, pid 1 inside");
    return Spawned{c.pid, c.in_cgroup};
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

// config-linux.md, "Control groups": a kernel without CLONE_INTO_CGROUP started init where the
// runtime is; move it in now, before it has run any of the container's steps.
void place_in_cgroup(const cgroups::Cgroup& cg, pid_t pid, bool in_cgroup) {
    if (in_cgroup) return;
    log::trace("rung", "config-linux.md: Control groups", "move init (pid ", pid, ") into ",
               quote(cg.dir()), " through cgroup.procs");
    cg.add_process(pid);
}

// config-linux.md, "Control groups": linux.resources, written before init runs one step of the
// container (preflight checked every controller is there).
void apply_resources(const CgroupPlan& cg) {
    if (cg.writes.empty()) return;
    log::trace("rung", "config-linux.md: Control groups",
               "apply linux.resources: ", cg.writes.size(), " writes in ", quote(cg.cgroup.dir()));
    with_context("linux.resources", [&] { cg.cgroup.apply(cg.writes); });
}

// config-linux.md, "Allowed Device Listing": the device filter, attached before init makes the
// container's /dev, so that its first mknod is already decided by it. A rootless container
// without a cgroup has no filter (as runc: there is no cgroup to attach it to); in its user
// namespace mknod is refused anyway, and a device bound from the host keeps the host's modes.
// Rootless with a delegated cgroup, the filter is tried, and EPERM ignored as runc does: attaching
// a BPF program needs CAP_SYS_ADMIN (or CAP_BPF) over the host's user namespace.
void apply_device_filter(const CgroupPlan& cg) {
    if (cg.none) {
        log::trace("rung", "config-linux.md: Allowed Device Listing",
                   "rootless, no cgroup: no device filter");
        return;
    }
    try {
        with_context("linux.resources.devices",
                     [&] { devices::replace_program(cg.cgroup.dir(), cg.devices); });
    } catch (const Error& e) {
        if (!rootless_runtime() || e.err() != EPERM) throw;
        log::trace("rung", "runc: rootless, devices errors are ignored", e.what(),
                   ": no device filter");
    }
}

// What the runtime does to init from outside, between clone and "go", while init waits and has
// touched nothing yet (nsjail's initParent, crun's libcrun_cgroup_enter): phase 4 places init in
// its cgroup and applies linux.resources; phase 5 attaches the device filter, writes its
// uid_map, setgroups and gid_map, and gives the cgroup to the container's user where the spec
// says so.
void setup_from_parent(const CgroupPlan& cg, const Spawned& init, const Spec& spec,
                       const NamespacePlan& plan) {
    if (!cg.none) place_in_cgroup(cg.cgroup, init.pid, init.in_cgroup);
    apply_resources(cg);
    apply_device_filter(cg);
    write_id_maps(init.pid, spec, plan);
    fault::point("create:id-maps");
    if (!cg.none) delegate_cgroup(cg.cgroup.dir(), spec, plan);
}

// Let init go on, and tell it its pid as the host sees it: the state its hooks receive names it.
void send_go(int sync_fd, pid_t pid) {
    log::trace("rung", "", "send(sync, go, pid ", pid, ")");
    sync::send(sync_fd, sync::Frame{sync::Type::go, 0, pid, {}});
}

// config.md, hooks: prestart (deprecated) then createRuntime, in the runtime's namespaces, once
// init has built the container's mounts and before it pivots. A failing hook fails create.
void run_create_hooks(pid_t pid, int sync_fd, const std::string& id, const std::string& bundle,
                      const Spec& spec) {
    std::string state = hook_state(id, pid, bundle, spec.annotations, Status::creating);
    run_hooks(spec.hooks.prestart, "prestart", state);
    fault::point("hook:prestart");
    run_hooks(spec.hooks.create_runtime, "createRuntime", state);
    fault::point("hook:createRuntime");
    log::trace("rung", "config.md: hooks", "send(sync, resume)");
    sync::send(sync_fd, sync::Type::resume);
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

// The config is kept too: start and delete run its hooks even if the bundle is gone by then.
void save_state(const ContainerDir& dir, State& s) {
    write_file_atomic(dir.path() + "/config.json", read_file(s.bundle + "/config.json"), 0600);
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

// runtime.md, lifecycle steps 12 and 13: the one teardown, for `delete` and for a create that
// failed, or was killed and is deleted later. In this order: kill every process of the
// container; remove the state directory; then run the poststop hooks (if `spec`: a create runs
// them only once its create hooks began). Each step acts on what is there, so a container that
// got halfway is torn down as far as it got. The mounts are init's, in its own mount namespace:
// they go with its last process. Phase 4 adds one step, after the processes: remove the cgroup.
void destroy(const ContainerDir& dir, const State& st, const Spec* spec) {
    kill_and_wait(st);
    fault::point("destroy:killed");
    remove_cgroup(st);
    fault::point("destroy:cgroup");
    dir.remove();
    fault::point("destroy:state-dir");
    if (spec)
        run_hooks_warn_only(
            spec->hooks.poststop, "poststop",
            hook_state(dir.id(), st.pid, st.bundle, spec->annotations, Status::stopped));
    fault::point("hook:poststop");
}

// A create that fails before it commits is torn down by destroy(); its error is the one the user
// sees, so a failure of the teardown itself is a warning.
void roll_back(const ContainerDir& dir, const State& st, const Spec* spec) noexcept {
    try {
        destroy(dir, st, spec);
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

// The config create saved; a create killed before it saved one ran no create hooks, so it needs
// no poststop either.
std::optional<Spec> saved_config(const ContainerDir& dir) {
    if (!path_exists(dir.path() + "/config.json")) return std::nullopt;
    return dir.read_config();
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

Created create_container(const CreateOptions& opts) {
    validate_id(opts.id);
    std::string bundle = absolute_bundle(opts.bundle);
    Spec spec = load_spec(bundle);
    NamespacePlan plan = plan_namespaces(spec.linux.namespaces);
    check_spec(spec, plan, opts);
    std::optional<seccomp::Filter> seccomp = compile_seccomp(spec, opts.root);
    CgroupPlan cgroup = plan_cgroup(spec, opts.id);

    ContainerDir dir = ContainerDir::create(opts.root, opts.id);
    // runtime.md, lifecycle step 12: until it commits, a failed create is destroyed as far as it
    // got; once the create hooks began (and may have set something up, a network say), the
    // poststop hooks run too (step 13).
    State st = new_state(opts.id, bundle, spec.root.path, spec);
    const Spec* poststop = nullptr;
    ScopeGuard rollback([&] { roll_back(dir, st, poststop); });
    fault::point("create:state-dir");
    make_exec_fifo(dir, plan);
    fault::point("create:fifo");
    make_cgroup(dir, st, cgroup);
    fault::point("create:cgroup");
    Console console = open_console(spec.process.terminal, opts.console_socket);
    InitContext ctx{spec, plan, opts.id, bundle, dir.fifo_path()};
    ctx.console_fd = console.init_end ? console.init_end.get() : -1;
    ctx.no_pivot = opts.no_pivot;
    ctx.no_new_keyring = st.no_new_keyring = opts.no_new_keyring;
    ctx.seccomp = seccomp ? &*seccomp : nullptr;
    auto [parent_end, child_end] = sys::socketpair();
    Spawned init = spawn_init(ctx, plan, cgroup, dir, parent_end, child_end);
    pid_t pid = init.pid;
    record_init(st, pid);
    fault::point("create:clone");
    console.init_end.reset();
    setup_from_parent(cgroup, init, spec, plan);
    fault::point("create:from-parent");
    send_go(parent_end.get(), pid);
    fault::point("create:go");
    expect_frame(pid, parent_end.get(), sync::Type::mounted);
    fault::point("create:mounted");
    poststop = &spec;
    run_create_hooks(pid, parent_end.get(), opts.id, bundle, spec);
    expect_frame(pid, parent_end.get(), sync::Type::ready);
    fault::point("create:ready");
    Created created{pid, {}};
    if (console.our_end) created.pty_master = receive_pty_master(console.our_end.get());
    save_state(dir, st);
    fault::point("create:state");
    write_pid_file(opts.pid_file, pid);
    fault::point("create:pid-file");
    commit(parent_end.get());
    fault::point("create:committed");
    rollback.dismiss();
    report_not_applied(spec);
    return created;
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
    // config.md, poststart: after the program runs, before start returns. runtime.md, lifecycle
    // step 9: a failing one is an error and stops the container; `delete` destroys it and runs
    // the poststop hooks (steps 12 and 13).
    Spec spec = dir.read_config();
    try {
        run_hooks(spec.hooks.poststart, "poststart",
                  hook_state(id, st.pid, st.bundle, spec.annotations, Status::running));
    } catch (const Error&) {
        kill_and_wait(st);
        throw;
    }
    fault::point("hook:poststart");
}

Spec container_config(const std::string& root, const std::string& id) {
    return ContainerDir::open(root, id, ContainerDir::Lock::shared).read_config();
}

ordered_json container_state(const std::string& root, const std::string& id) {
    ContainerDir dir = ContainerDir::open(root, id, ContainerDir::Lock::shared);
    State st = dir.read_state();
    return oci_state(st, dir.status(st));
}

// runtime.md, "Kill": only a created or running container can be signalled (a paused one too:
// the signal waits for resume, SIGKILL does not). With --all, as runc, every process left in the
// cgroup is signalled whatever init's state: a stopped init may leave children behind.
void kill_container(const std::string& root, const std::string& id, int sig, bool all) {
    ContainerDir dir = ContainerDir::open(root, id, ContainerDir::Lock::exclusive);
    State st = dir.read_state();
    if (all) return signal_all(st, sig);
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

// runc's pause: cgroup.freeze, then wait until cgroup.events says every process is frozen. A
// created container can be paused too (its init is frozen waiting for start).
void pause_container(const std::string& root, const std::string& id) {
    ContainerDir dir = ContainerDir::open(root, id, ContainerDir::Lock::exclusive);
    State st = dir.read_state();
    if (Status s = dir.status(st); s != Status::created && s != Status::running)
        wrong_status(id, s, "only a created or running container can be paused");
    cgroups::Cgroup cg = container_cgroup(st);
    log::trace("rung", "runc: pause", "freeze ", quote(cg.dir()));
    cg.freeze();
}

void resume_container(const std::string& root, const std::string& id) {
    ContainerDir dir = ContainerDir::open(root, id, ContainerDir::Lock::exclusive);
    State st = dir.read_state();
    if (Status s = dir.status(st); s != Status::paused)
        wrong_status(id, s, "only a paused container can be resumed");
    cgroups::Cgroup cg = container_cgroup(st);
    log::trace("rung", "runc: resume", "thaw ", quote(cg.dir()));
    cg.thaw();
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
    std::optional<Spec> spec = saved_config(dir);
    // A corrupt state.json names no cgroup; the config create saved says where it is.
    // (A rootless container without a cgroup has an init pid: it had none to find.)
    if (st.cgroup.empty() && st.pid == 0 && spec) st.cgroup = cgroup_path_of(*spec, id);
    destroy(dir, st, spec ? &*spec : nullptr);
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
    Created created = create_container(opts);
    pid_t pid = created.pid;
    // A failure deletes the container whatever --keep says; a process that exited does not.
    ScopeGuard remove([&] { delete_container(opts.root, opts.id, true); });
    start_in_foreground(opts, pid);
    int code = wait_in_foreground(pid, sigfd.get(), created.pty_master.get());
    remove.dismiss();
    if (!opts.keep) delete_container(opts.root, opts.id, false);
    return code;
}

} // namespace rung
