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
#include "rung/error.hpp"
#include "rung/fd.hpp"
#include "rung/file.hpp"
#include "rung/log.hpp"
#include "rung/sync.hpp"
#include "rung/sys.hpp"
#include "spec.hpp"
#include "state.hpp"
#include "terminal.hpp"

#include <csignal>
#include <fcntl.h>
#include <iostream>
#include <poll.h>
#include <pwd.h>
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
void make_exec_fifo(const ContainerDir& dir) {
    log::trace("rung", "runtime.md: Create, the program waits for start", "mkfifo(",
               quote(dir.fifo_path()), ", 0600)");
    sys::mkfifo(dir.fifo_path(), 0600);
}

pid_t spawn_init(InitContext& ctx, const NamespacePlan& plan, ContainerDir& dir,
                 unique_fd& parent_end, unique_fd& child_end) {
    // pid and time namespaces given by path are entered by the runtime: they apply to children.
    ChildNamespaces for_children(plan);
    log::trace("rung", "runtime-spec: config-linux.md, namespaces", "clone3(",
               sys::clone_flags_string(plan.clone_flags), "|SIGCHLD)");
    pid_t pid = sys::clone_process(plan.clone_flags);
    if (pid == 0) {
        parent_end.reset();
        dir.drop_lock(); // else init would keep the container locked until it execs
        ctx.sync_fd = child_end.get();
        container_init(ctx);
    }
    child_end.reset();
    log::trace("rung", "", "init is pid ", pid, " on the host, pid 1 inside");
    return pid;
}

// Reap a failed init and return the status rung should exit with: init's own (127 for a
// command that is not found), or 1 if it did not exit by itself.
int init_exit_status(pid_t pid) {
    int status = sys::wait_for(pid);
    return WIFEXITED(status) && WEXITSTATUS(status) != 0 ? WEXITSTATUS(status) : 1;
}

// Undo a clone: through the pidfd, which cannot hit another process even if init was reaped
// already and its pid reused; then reap it (ECHILD if it was).
void kill_and_reap(int pidfd, pid_t pid) {
    try {
        sys::pidfd_send_signal(pidfd, SIGKILL, pid);
    } catch (const Error&) {
        // Already gone.
    }
    ::waitpid(pid, nullptr, 0);
}

// Wait for init's next frame of type `want`; an error frame (or EOF) becomes init's error.
void expect_frame(pid_t pid, int sync_fd, sync::Type want, std::string_view what) {
    auto frame = sync::receive(sync_fd);
    if (frame && frame->type == want) {
        log::trace("rung", "runtime.md: Create", "recv(sync) = ", what);
        return;
    }
    Error e = frame ? Error(frame->message, frame->err) : Error("exited before it was ready");
    e.add_context("init").set_exit_status(init_exit_status(pid));
    throw e;
}

// config.md, hooks: prestart (deprecated) then createRuntime, in the runtime's namespaces, once
// init has built the container's mounts and before it pivots. A failing hook fails create.
void run_create_hooks(pid_t pid, int sync_fd, const std::string& id, const std::string& bundle,
                      const Spec& spec) {
    std::string state = hook_state(id, pid, bundle, spec.annotations, Status::creating);
    run_hooks(spec.hooks.prestart, "prestart", state);
    run_hooks(spec.hooks.create_runtime, "createRuntime", state);
    log::trace("rung", "config.md: hooks", "send(sync, resume)");
    sync::send(sync_fd, sync::Type::resume, 0, std::to_string(pid));
}

std::string current_user() {
    std::string buf(4096, '\0');
    passwd pw, *found = nullptr;
    uid_t uid = ::geteuid();
    if (::getpwuid_r(uid, &pw, buf.data(), buf.size(), &found) == 0 && found) return pw.pw_name;
    return std::to_string(uid);
}

// runtime.md, "State": what every later command needs to find and recognise this container. The
// config is kept too: start and delete run its hooks even if the bundle is gone by then.
void save_state(const ContainerDir& dir, pid_t pid, const std::string& bundle, const Spec& spec) {
    write_file_atomic(dir.path() + "/config.json", read_file(bundle + "/config.json"), 0600);
    State s;
    s.id = dir.id();
    s.pid = pid;
    s.start_time = read_proc_stat(pid).value_or(ProcStat{}).start_time;
    s.bundle = bundle;
    s.annotations = spec.annotations;
    s.created = log::now_rfc3339();
    s.owner = current_user();
    dir.write_state(s);
}

// command-line-interface.md, create --pid-file: the container's pid, written atomically so a
// watcher never reads half a number.
void write_pid_file(const std::string& path, pid_t pid) {
    if (path.empty()) return;
    log::trace("rung", "runtime-tools CLI: create --pid-file", "write ", quote(path), " = ", pid);
    write_file_atomic(path, std::to_string(pid));
}

[[noreturn]] void wrong_status(const std::string& id, Status s, std::string_view rule) {
    throw Error("container " + quote(id) + " is " + status_name(s) + ": " + std::string(rule));
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

// The FIFO's write end closes when execve succeeds (O_CLOEXEC): EOF with nothing read means the
// program runs. Anything read is init's error, such as exec "x": Permission denied.
void wait_for_exec(int fifo) {
    std::string message;
    char buf[512];
    size_t n;
    while ((n = read_full(fifo, buf, sizeof buf)) > 0)
        message.append(buf, n);
    if (!message.empty()) throw Error("init: " + message);
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

    ContainerDir dir = ContainerDir::create(opts.root, opts.id);
    // runtime.md, lifecycle steps 3-5: once the create hooks begin (and may have set something up
    // for the container, a network say), a failed create goes on at step 12: the guards below
    // destroy the container, then this one runs the poststop hooks (step 13).
    pid_t pid = 0;
    bool hooks_began = false;
    ScopeGuard poststop([&] {
        if (hooks_began)
            run_hooks_warn_only(
                spec.hooks.poststop, "poststop",
                hook_state(opts.id, pid, bundle, spec.annotations, Status::stopped));
    });
    ScopeGuard remove_dir([&] { dir.remove(); });
    make_exec_fifo(dir);
    Console console = open_console(spec.process.terminal, opts.console_socket);
    InitContext ctx{spec, plan, opts.id, bundle, dir.fifo_path()};
    ctx.console_fd = console.init_end ? console.init_end.get() : -1;
    ctx.no_pivot = opts.no_pivot;
    auto [parent_end, child_end] = sys::socketpair();
    pid = spawn_init(ctx, plan, dir, parent_end, child_end);
    console.init_end.reset();
    unique_fd pidfd = sys::pidfd_open(pid);
    ScopeGuard kill_init([&] { kill_and_reap(pidfd.get(), pid); });
    expect_frame(pid, parent_end.get(), sync::Type::mounted, "mounted");
    hooks_began = true;
    run_create_hooks(pid, parent_end.get(), opts.id, bundle, spec);
    expect_frame(pid, parent_end.get(), sync::Type::ready, "ready");
    Created created{pid, {}};
    if (console.our_end) created.pty_master = receive_pty_master(console.our_end.get());
    save_state(dir, pid, bundle, spec);
    write_pid_file(opts.pid_file, pid);
    kill_init.dismiss();
    remove_dir.dismiss();
    poststop.dismiss();
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
    wait_for_init(fifo.get(), pidfd->get());
    read_start_byte(fifo.get());
    log::trace("rung", "runtime.md: Start, the container is now running", "unlink(",
               quote(dir.fifo_path()), ")");
    check(::unlink(dir.fifo_path().c_str()), "unlink " + quote(dir.fifo_path()));
    wait_for_exec(fifo.get());
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
}

Spec container_config(const std::string& root, const std::string& id) {
    return ContainerDir::open(root, id, ContainerDir::Lock::shared).read_config();
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
    if (!pidfd) wrong_status(id, Status::stopped, "only a created or running one can be signalled");
    log::trace("rung", "runtime.md: Kill", "pidfd_send_signal(", st.pid, ", ",
               sys::signal_name(sig), ")");
    sys::pidfd_send_signal(pidfd->get(), sig, st.pid);
}

// runtime.md, "Delete": a container that is not stopped MUST NOT be deleted (--force kills it).
void delete_container(const std::string& root, const std::string& id, bool force) {
    ContainerDir dir = ContainerDir::open(root, id, ContainerDir::Lock::exclusive);
    State st = dir.read_state();
    if (Status s = dir.status(st); s != Status::stopped) {
        if (!force) wrong_status(id, s, "stop it first, or use delete --force");
        kill_and_wait(st);
    }
    Spec spec = dir.read_config();
    dir.remove();
    // config.md, poststop: after the container is deleted, before delete returns. A failure is a
    // warning: the container is gone either way.
    run_hooks_warn_only(spec.hooks.poststop, "poststop",
                        hook_state(id, st.pid, st.bundle, spec.annotations, Status::stopped));
}

// No lock: state.json is replaced atomically, so each read sees a whole one. A directory without
// one is a create in progress or a delete under way, and is left out.
void list_containers(const std::string& root, const std::string& format, bool quiet) {
    std::vector<ordered_json> states;
    for (const auto& id : list_ids(root)) {
        try {
            ContainerDir dir = ContainerDir::open(root, id, ContainerDir::Lock::none);
            State st = dir.read_state();
            states.push_back(oci_state(st, dir.status(st)));
        } catch (const Error&) {
            continue;
        }
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
    ScopeGuard remove([&] { delete_container(opts.root, opts.id, true); });
    start_in_foreground(opts, pid);
    int code = wait_in_foreground(pid, sigfd.get(), created.pty_master.get());
    remove.dismiss();
    delete_container(opts.root, opts.id, false);
    return code;
}

} // namespace rung
