// rung, phase 3: config.json drives everything.
//
//     rung [--root DIR] create [--bundle DIR] [--pid-file FILE] [--console-socket SOCK] ID
//     rung [--root DIR] start ID
//     rung [--root DIR] state ID
//     rung [--root DIR] kill ID [SIGNAL]
//     rung [--root DIR] delete [--force] ID
//     rung [--root DIR] list [--format table|json] [--quiet]
//     rung [--root DIR] run [-d] [--bundle DIR] [--pid-file FILE] [--console-socket SOCK] ID
//     rung [--root DIR] exec [--process FILE | CMD ARGS...] [-t] [-d] [--pid-file FILE]
//                            [-e K=V] [--cwd DIR] [-u UID[:GID]] [--console-socket SOCK] ID
//     rung [--root DIR] ps [--format table|json] ID [-- PS-ARGS...]
//     rung spec [--bundle DIR]
#include "container.hpp"
#include "exec.hpp"
#include "rung/cli.hpp"
#include "rung/error.hpp"
#include "rung/file.hpp"
#include "rung/sys.hpp"
#include "spec.hpp"

#include <iostream>

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

// `exec ID -- CMD` and `ps ID -- PS-ARGS`: CLI11 hands the "--" that ends rung's options on
// with the words after it (prefix_command), but it is not part of the command.
void drop_separator(std::vector<std::string>& args) {
    if (!args.empty() && args.front() == "--") args.erase(args.begin());
}

// The process `exec` runs: --process FILE as a whole, or CMD ARGS with the container's own
// config.json (saved at create) for what the flags leave out, as runc does.
struct ExecFlags {
    std::string process_file, cwd, user;
    std::vector<std::string> env, args;
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
        try {
            p.user.uid = static_cast<uint32_t>(std::stoul(f.user.substr(0, colon)));
            p.user.gid = colon == std::string::npos
                             ? 0
                             : static_cast<uint32_t>(std::stoul(f.user.substr(colon + 1)));
        } catch (const std::exception&) {
            throw rung::Error("--user " + rung::quote(f.user) + ": expected UID[:GID]");
        }
        p.user.additional_gids.clear();
    }
    return p;
}

} // namespace

int main(int argc, char** argv) {
    rung::Cli cli("rung: a container runtime, phase 3 (bundle)", RUNG_PHASE);
    std::string root = "/run/rung";
    cli.app().add_option("--root", root, "Where containers' state lives")->capture_default_str();

    rung::CreateOptions opts;
    std::string id, signal = "TERM", format = "table", bundle = ".";
    bool force = false, quiet = false, detach = false;

    CLI::App* create = cli.command("create", "Create a container; `start` runs its process", [&] {
        opts.root = root;
        rung::create_container(opts);
        return 0;
    });
    add_create_options(create, opts);

    cli.command("start", "Run the process of a created container",
                [&] {
                    rung::start_container(root, id);
                    return 0;
                })
        ->add_option("id", id, "The container ID")
        ->required();

    cli.command("state", "Print the state of a container as JSON",
                [&] {
                    std::cout << rung::container_state(root, id).dump(2) << "\n";
                    return 0;
                })
        ->add_option("id", id, "The container ID")
        ->required();

    CLI::App* kill = cli.command("kill", "Send a signal (default TERM) to a container", [&] {
        rung::kill_container(root, id, rung::sys::parse_signal(signal));
        return 0;
    });
    kill->add_option("id", id, "The container ID")->required();
    kill->add_option("signal,--signal", signal, "KILL, SIGKILL, 9, ...")->capture_default_str();

    CLI::App* del = cli.command("delete", "Delete a stopped container", [&] {
        rung::delete_container(root, id, force);
        return 0;
    });
    del->add_flag("--force,-f", force, "Kill a created or running container first");
    del->add_option("id", id, "The container ID")->required();

    CLI::App* list = cli.command("list", "List containers", [&] {
        rung::list_containers(root, format, quiet);
        return 0;
    });
    list->add_option("--format,-f", format, "table or json")
        ->check(CLI::IsMember({"table", "json"}))
        ->capture_default_str();
    list->add_flag("--quiet,-q", quiet, "Print only the IDs");

    CLI::App* run = cli.command("run", "Create and start a container, wait, delete it", [&] {
        opts.root = root;
        if (!detach) {
            opts.foreground = true;
            return rung::run_container(opts);
        }
        if (opts.console_socket.empty() && rung::load_spec(opts.bundle).process.terminal)
            throw rung::Error("run --detach with process.terminal needs --console-socket");
        rung::create_container(opts);
        rung::start_container(root, opts.id);
        return 0;
    });
    add_create_options(run, opts);
    run->add_flag("--detach,-d", detach, "Return once the process runs; do not wait or delete");

    ExecFlags ef;
    rung::ExecOptions eo;
    CLI::App* exec = cli.command("exec", "Run a new process inside a running container", [&] {
        eo.root = root;
        eo.id = id;
        eo.detach = detach;
        drop_separator(ef.args);
        eo.process = exec_process_from(ef, rung::container_config(root, id));
        return rung::exec_in_container(eo);
    });
    exec->add_option("--process,-p", ef.process_file, "The process to run, as config.md's JSON");
    exec->add_flag("--tty,-t", ef.tty, "Give the process a terminal");
    exec->add_flag("--detach,-d", detach, "Return once the process runs");
    exec->add_option("--pid-file", eo.pid_file, "Write the process's pid to FILE");
    exec->add_option("--console-socket", eo.console_socket, "Send the pty master to this socket");
    exec->add_option("--env,-e", ef.env, "Set KEY=VALUE in the environment");
    exec->add_option("--cwd", ef.cwd, "The working directory, inside the container");
    exec->add_option("--user,-u", ef.user, "UID[:GID] to run as");
    exec->add_option("id", id, "The container ID")->required();
    exec->add_option("command", ef.args, "CMD [ARGS...]");
    exec->positionals_at_end();
    exec->prefix_command();

    std::vector<std::string> ps_args;
    CLI::App* ps = cli.command("ps", "List the processes of a container", [&] {
        drop_separator(ps_args);
        rung::ps_container(root, id, format, ps_args);
        return 0;
    });
    ps->add_option("--format,-f", format, "table or json")
        ->check(CLI::IsMember({"table", "json"}))
        ->capture_default_str();
    ps->add_option("id", id, "The container ID")->required();
    ps->add_option("ps-args", ps_args, "Options for ps(1) (default -ef)");
    ps->positionals_at_end();
    ps->prefix_command();

    CLI::App* spec = cli.command("spec", "Write a default config.json into the bundle", [&] {
        std::string path = bundle + "/config.json";
        if (rung::path_exists(path))
            throw rung::Error(rung::quote(path) + " exists: remove it first");
        rung::write_file(path, rung::default_config().dump(4) + "\n");
        return 0;
    });
    spec->add_option("--bundle,-b", bundle, "Where to write config.json")->capture_default_str();

    return cli.run(argc, argv);
}
