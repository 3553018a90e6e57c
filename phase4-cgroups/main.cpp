// rung, phase 4: every container in its own cgroup v2.
//
//     rung [--root DIR] create [--bundle DIR] [--pid-file FILE] [--console-socket SOCK]
//                              [--no-pivot] ID
//     rung [--root DIR] start ID
//     rung [--root DIR] state ID
//     rung [--root DIR] kill [--all] ID [SIGNAL]
//     rung [--root DIR] pause ID
//     rung [--root DIR] resume ID
//     rung [--root DIR] delete [--force] ID
//     rung [--root DIR] list [--format table|json] [--quiet]
//     rung [--root DIR] run [-d] [--keep] [--bundle DIR] [--pid-file FILE]
//                           [--console-socket SOCK] ID
//     rung [--root DIR] exec [--process FILE | CMD ARGS...] [-t] [-d] [--pid-file FILE]
//                            [-e K=V] [--cwd DIR] [-u UID[:GID]] [-g GID] [--preserve-fds N]
//                            [--cgroup SUB]
//                            [--console-socket SOCK] ID
//     rung [--root DIR] ps [--format table|json] ID [-- PS-ARGS...]
//     rung [--root DIR] update [--memory SIZE ... | -r FILE|-] ID
//     rung [--root DIR] events [--stats] [--interval D] ID
//     rung spec [--bundle DIR]
//
// main() declares the global options and then each command, through one add_<command>()
// function: the options it takes and the call it makes.
#include "container.hpp"
#include "events.hpp"
#include "exec.hpp"
#include "preflight.hpp"
#include "rung/cli.hpp"
#include "rung/error.hpp"
#include "rung/file.hpp"
#include "rung/sys.hpp"
#include "spec.hpp"
#include "update.hpp"

#include <charconv>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>

namespace {

// create and run take the same options.
void add_create_options(CLI::App* cmd, rung::CreateOptions& opts) {
    cmd->add_option("--bundle,-b", opts.bundle, "The bundle directory (holds config.json)")
        ->capture_default_str();
    cmd->add_option("--pid-file", opts.pid_file, "Write the container's pid to FILE");
    cmd->add_option("--console-socket", opts.console_socket,
                    "With process.terminal: send the pty master to this AF_UNIX socket");
    cmd->add_flag("--no-pivot", opts.no_pivot,
                  "Use MS_MOVE and chroot instead of pivot_root (a rootfs on initramfs)");
    cmd->add_option("id", opts.id, "The container ID")->required();
}

// The commands that name one container and nothing else.
CLI::App* add_id(CLI::App* cmd, std::string& id) {
    cmd->add_option("id", id, "The container ID")->required();
    return cmd;
}

// `exec ID -- CMD` and `ps ID -- PS-ARGS`: CLI11 hands the "--" that ends rung's options on
// with the words after it (prefix_command), but it is not part of the command.
void drop_separator(std::vector<std::string>& args) {
    if (!args.empty() && args.front() == "--") args.erase(args.begin());
}

// An ID of --user or --additional-gids: decimal digits that fit a uint32, as config.md's
// process.user has them. Anything else ("1000abc", "-1", "4294967296") is refused, not cut short.
std::optional<uint32_t> parse_id(std::string_view text) {
    uint32_t id = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return id;
}

// The process `exec` runs: --process FILE as a whole, or CMD ARGS with the container's own
// config.json (saved at create) for what the flags leave out, as runc does.
struct ExecFlags {
    std::string process_file, cwd, user;
    std::vector<std::string> env, args, additional_gids;
    bool tty = false;
};

rung::Process exec_process_from(const ExecFlags& f, const rung::Spec& config) {
    if (!f.process_file.empty()) {
        if (!f.args.empty()) throw rung::Error("give --process FILE or CMD ARGS, not both");
        return rung::load_process(f.process_file);
    }
    if (f.args.empty()) throw rung::Error("no command given: exec ID CMD [ARGS...]");
    rung::Process p = config.process;
    p.args = f.args;
    p.terminal = f.tty;
    p.console_size.reset();
    for (const auto& kv : f.env) {
        if (kv.find('=') == std::string::npos)
            throw rung::Error("--env " + rung::quote(kv) + ": expected KEY=VALUE");
        std::string key = kv.substr(0, kv.find('=') + 1);
        std::erase_if(p.env, [&](const std::string& e) { return e.rfind(key, 0) == 0; });
        p.env.push_back(kv);
    }
    if (!f.cwd.empty()) p.cwd = f.cwd;
    if (!f.user.empty()) {
        size_t colon = f.user.find(':');
        auto uid = parse_id(std::string_view(f.user).substr(0, colon));
        auto gid = colon == std::string::npos ? 0 : parse_id(f.user.substr(colon + 1));
        if (!uid || !gid)
            throw rung::Error("--user " + rung::quote(f.user) + ": expected UID[:GID] (numbers)");
        p.user.uid = *uid;
        p.user.gid = *gid;
        p.user.additional_gids.clear();
    }
    // runc's --additional-gids, -g: given more than once, or as a comma list.
    for (const auto& list : f.additional_gids) {
        std::istringstream items(list);
        for (std::string item; std::getline(items, item, ',');) {
            auto gid = parse_id(item);
            if (!gid)
                throw rung::Error("--additional-gids " + rung::quote(list) +
                                  ": expected GID[,GID...] (numbers)");
            p.user.additional_gids.push_back(*gid);
        }
    }
    return p;
}

// Each add_<command>() below keeps the command's options in a shared_ptr its action holds:
// CLI11 writes into them while parsing, the action reads them afterwards. `root` is main()'s.
void add_create(rung::Cli& cli, const std::string& root) {
    auto opts = std::make_shared<rung::CreateOptions>();
    CLI::App* cmd =
        cli.command("create", "Create a container; `start` runs its process", [=, &root] {
            opts->root = root;
            rung::create_container(*opts);
            return 0;
        });
    add_create_options(cmd, *opts);
}

void add_start(rung::Cli& cli, const std::string& root) {
    auto id = std::make_shared<std::string>();
    add_id(cli.command("start", "Run the process of a created container",
                       [=, &root] {
                           rung::start_container(root, *id);
                           return 0;
                       }),
           *id);
}

void add_state(rung::Cli& cli, const std::string& root) {
    auto id = std::make_shared<std::string>();
    add_id(cli.command("state", "Print the state of a container as JSON",
                       [=, &root] {
                           std::cout << rung::container_state(root, *id).dump(2) << "\n";
                           return 0;
                       }),
           *id);
}

void add_kill(rung::Cli& cli, const std::string& root) {
    struct Opts {
        std::string id, signal = "TERM";
        bool all = false;
    };
    auto o = std::make_shared<Opts>();
    CLI::App* cmd = cli.command("kill", "Send a signal (default TERM) to a container", [=, &root] {
        rung::kill_container(root, o->id, rung::sys::parse_signal(o->signal), o->all);
        return 0;
    });
    cmd->add_flag("--all,-a", o->all, "Signal every process of the container's cgroup");
    add_id(cmd, o->id);
    cmd->add_option("signal,--signal", o->signal, "KILL, SIGKILL, 9, ...")->capture_default_str();
}

// pause and resume (runc's): one ID each, and a call on the container's cgroup.
void add_freezer_command(rung::Cli& cli, const std::string& root, const std::string& name,
                         const std::string& description,
                         void (*action)(const std::string& root, const std::string& id)) {
    auto id = std::make_shared<std::string>();
    add_id(cli.command(name, description,
                       [=, &root] {
                           action(root, *id);
                           return 0;
                       }),
           *id);
}

void add_delete(rung::Cli& cli, const std::string& root) {
    struct Opts {
        std::string id;
        bool force = false;
    };
    auto o = std::make_shared<Opts>();
    CLI::App* cmd = cli.command("delete", "Delete a stopped container", [=, &root] {
        rung::delete_container(root, o->id, o->force);
        return 0;
    });
    cmd->add_flag("--force,-f", o->force, "Kill a created or running container first");
    add_id(cmd, o->id);
}

void add_list(rung::Cli& cli, const std::string& root) {
    struct Opts {
        std::string format = "table";
        bool quiet = false;
    };
    auto o = std::make_shared<Opts>();
    CLI::App* cmd = cli.command("list", "List containers", [=, &root] {
        rung::list_containers(root, o->format, o->quiet);
        return 0;
    });
    cmd->add_option("--format,-f", o->format, "table or json")
        ->check(CLI::IsMember({"table", "json"}))
        ->capture_default_str();
    cmd->add_flag("--quiet,-q", o->quiet, "Print only the IDs");
}

void add_run(rung::Cli& cli, const std::string& root) {
    struct Opts {
        rung::CreateOptions create;
        bool detach = false;
    };
    auto o = std::make_shared<Opts>();
    CLI::App* cmd = cli.command("run", "Create and start a container, wait, delete it", [=, &root] {
        rung::CreateOptions& opts = o->create;
        opts.root = root;
        if (!o->detach) {
            opts.foreground = true;
            return rung::run_container(opts);
        }
        if (opts.console_socket.empty() && rung::load_spec(opts.bundle).process.terminal)
            throw rung::Error("run --detach with process.terminal needs --console-socket");
        rung::create_container(opts);
        rung::start_container(root, opts.id);
        return 0;
    });
    add_create_options(cmd, o->create);
    cmd->add_flag("--keep", o->create.keep, "Do not delete the container after it exits");
    cmd->add_flag("--detach,-d", o->detach, "Return once the process runs; do not wait or delete");
}

void add_exec(rung::Cli& cli, const std::string& root) {
    struct Opts {
        ExecFlags flags;
        rung::ExecOptions exec;
    };
    auto o = std::make_shared<Opts>();
    CLI::App* cmd = cli.command("exec", "Run a new process inside a running container", [=, &root] {
        o->exec.root = root;
        drop_separator(o->flags.args);
        o->exec.process = exec_process_from(o->flags, rung::container_config(root, o->exec.id));
        rung::check_process(o->exec.process, "process");
        return rung::exec_in_container(o->exec);
    });
    ExecFlags& ef = o->flags;
    rung::ExecOptions& eo = o->exec;
    cmd->add_option("--process,-p", ef.process_file, "The process to run, as config.md's JSON");
    cmd->add_flag("--tty,-t", ef.tty, "Give the process a terminal");
    cmd->add_flag("--detach,-d", eo.detach, "Return once the process runs");
    cmd->add_option("--pid-file", eo.pid_file, "Write the process's pid to FILE");
    cmd->add_option("--console-socket", eo.console_socket, "Send the pty master to this socket");
    cmd->add_option("--env,-e", ef.env, "Set KEY=VALUE in the environment");
    cmd->add_option("--cwd", ef.cwd, "The working directory, inside the container");
    cmd->add_option("--user,-u", ef.user, "UID[:GID] to run as");
    cmd->add_option("--additional-gids,-g", ef.additional_gids,
                    "Supplementary groups as well (GID, repeated or a comma list)");
    cmd->add_option("--cgroup", eo.cgroup,
                    "Run in this existing sub-cgroup of the container's (cgroup v2: a path)");
    cmd->add_option("--preserve-fds", eo.preserve_fds,
                    "Pass N more fds, 3 to 3+N-1, on to the process")
        ->check(CLI::NonNegativeNumber);
    add_id(cmd, eo.id);
    cmd->add_option("command", ef.args, "CMD [ARGS...]");
    cmd->positionals_at_end();
    cmd->prefix_command();
}

void add_ps(rung::Cli& cli, const std::string& root) {
    struct Opts {
        std::string id, format = "table";
        std::vector<std::string> ps_args;
    };
    auto o = std::make_shared<Opts>();
    CLI::App* cmd = cli.command("ps", "List the processes of a container", [=, &root] {
        drop_separator(o->ps_args);
        rung::ps_container(root, o->id, o->format, o->ps_args);
        return 0;
    });
    cmd->add_option("--format,-f", o->format, "table or json")
        ->check(CLI::IsMember({"table", "json"}))
        ->capture_default_str();
    add_id(cmd, o->id);
    cmd->add_option("ps-args", o->ps_args, "Options for ps(1) (default -ef)");
    cmd->positionals_at_end();
    cmd->prefix_command();
}

void add_update(rung::Cli& cli, const std::string& root) {
    auto o = std::make_shared<rung::UpdateOptions>();
    CLI::App* cmd = cli.command("update", "Change the resource limits of a container", [=, &root] {
        o->root = root;
        rung::update_container(*o);
        return 0;
    });
    cmd->add_option("--resources,-r", o->resources_file,
                    "OCI LinuxResources JSON from FILE, or - for standard input (no flags then)");
    rung::cgroups::UpdateFlags& f = o->flags;
    cmd->add_option("--memory", f.memory, "Memory limit (100M, 1g, bytes; -1: unlimited)");
    cmd->add_option("--memory-reservation", f.memory_reservation, "Memory soft limit (memory.low)");
    cmd->add_option("--memory-swap", f.memory_swap, "Memory plus swap limit (-1: unlimited)");
    cmd->add_option("--cpu-share,--cpu-shares", f.cpu_shares, "CPU shares (becomes cpu.weight)");
    cmd->add_option("--cpu-quota", f.cpu_quota, "CPU time per period, in microseconds");
    cmd->add_option("--cpu-period", f.cpu_period, "CPU period, in microseconds");
    cmd->add_option("--cpu-burst", f.cpu_burst, "CPU burst over the quota, in microseconds");
    cmd->add_option("--cpu-idle", f.cpu_idle, "1: SCHED_IDLE for the cgroup (cpu.idle)");
    cmd->add_option("--cpu-rt-period", f.cpu_rt_period, "Realtime period (not in cgroup v2)");
    cmd->add_option("--cpu-rt-runtime", f.cpu_rt_runtime, "Realtime runtime (not in cgroup v2)");
    cmd->add_option("--cpuset-cpus", f.cpuset_cpus, "CPUs to run on (0-3,5)");
    cmd->add_option("--cpuset-mems", f.cpuset_mems, "Memory nodes to use (0-1)");
    cmd->add_option("--pids-limit", f.pids_limit, "Most processes at once (-1: unlimited)");
    cmd->add_option("--blkio-weight", f.blkio_weight, "Block IO weight, 10 to 1000");
    add_id(cmd, o->id);
}

void add_events(rung::Cli& cli, const std::string& root) {
    struct Opts {
        rung::EventsOptions events;
        std::string interval = "5s";
    };
    auto o = std::make_shared<Opts>();
    CLI::App* cmd =
        cli.command("events", "Print a container's stats and OOM kills as JSON lines", [=, &root] {
            o->events.root = root;
            o->events.interval =
                rung::with_context("--interval", [&] { return rung::parse_duration(o->interval); });
            rung::container_events(o->events);
            return 0;
        });
    cmd->add_option("--interval", o->interval, "How often to print stats (5s, 100ms, 1m)")
        ->capture_default_str();
    cmd->add_flag("--stats", o->events.stats, "Print the stats once and exit");
    add_id(cmd, o->events.id);
}

void add_spec(rung::Cli& cli) {
    auto bundle = std::make_shared<std::string>(".");
    CLI::App* cmd = cli.command("spec", "Write a default config.json into the bundle", [=] {
        std::string path = *bundle + "/config.json";
        if (rung::path_exists(path))
            throw rung::Error(rung::quote(path) + " exists: remove it first");
        rung::write_file(path, rung::default_config().dump(4) + "\n");
        return 0;
    });
    cmd->add_option("--bundle,-b", *bundle, "Where to write config.json")->capture_default_str();
}

} // namespace

int main(int argc, char** argv) {
    rung::Cli cli("rung: a container runtime, phase 4 (cgroups)", RUNG_PHASE);
    std::string root = "/run/rung";
    // Each container's state is <root>/<id>: an empty root would put it in the host's /.
    cli.app()
        .add_option("--root", root, "Where containers' state lives")
        ->check(CLI::Validator(
            [](const std::string& dir) { return dir.empty() ? "must not be empty" : ""; }, "DIR"))
        ->capture_default_str();
    // runc's --systemd-cgroup asks for the systemd cgroup driver (cgroupsPath "slice:prefix:name",
    // the cgroup made by systemd through D-Bus). rung has the cgroupfs driver only: refuse the
    // flag by name rather than as an unknown one.
    cli.app().add_flag_callback(
        "--systemd-cgroup",
        [] {
            throw CLI::ValidationError(
                "--systemd-cgroup", "not supported: rung has the cgroupfs driver only (configure "
                                    "the engine for cgroupfs, e.g. containerd's SystemdCgroup = "
                                    "false)");
        },
        "Not supported: rung drives cgroupfs only");
    add_create(cli, root);
    add_start(cli, root);
    add_state(cli, root);
    add_kill(cli, root);
    add_freezer_command(cli, root, "pause", "Freeze every process of a container (cgroup.freeze)",
                        rung::pause_container);
    add_freezer_command(cli, root, "resume", "Thaw a paused container", rung::resume_container);
    add_delete(cli, root);
    add_list(cli, root);
    add_run(cli, root);
    add_exec(cli, root);
    add_ps(cli, root);
    add_update(cli, root);
    add_events(cli, root);
    add_spec(cli);
    return cli.run(argc, argv);
}
