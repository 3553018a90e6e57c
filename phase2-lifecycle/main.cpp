// rung, phase 2: the OCI lifecycle.
//
//     rung [--root DIR] create [--bundle DIR] [--pid-file FILE] ID
//     rung [--root DIR] start ID
//     rung [--root DIR] state ID
//     rung [--root DIR] kill ID [SIGNAL]     (or --signal SIGNAL, the OCI command line's spelling)
//     rung [--root DIR] delete [--force] ID
//     rung [--root DIR] list [--format table|json] [--quiet]
//     rung [--root DIR] run [--keep] [--bundle DIR] [--pid-file FILE] ID
//
// main() declares the global options and then each command, through one add_<command>()
// function: the options it takes and the call it makes.
#include "container.hpp"
#include "rung/cli.hpp"
#include "rung/error.hpp"
#include "rung/sys.hpp"

#include <iostream>
#include <memory>

namespace {

// create and run take the same options.
void add_create_options(CLI::App* cmd, rung::CreateOptions& opts, std::string& console_socket) {
    cmd->add_option("--bundle,-b", opts.bundle, "The bundle directory (holds config.json)")
        ->capture_default_str();
    cmd->add_option("--pid-file", opts.pid_file, "Write the container's pid to FILE");
    cmd->add_option("--console-socket", console_socket, "Not before phase 3 (terminals)");
    cmd->add_option("id", opts.id, "The container ID")->required();
}

// The commands that name one container and nothing else.
CLI::App* add_id(CLI::App* cmd, std::string& id) {
    cmd->add_option("id", id, "The container ID")->required();
    return cmd;
}

// process.terminal and the console socket protocol arrive with phase 3.
void reject_console_socket(const std::string& socket) {
    if (!socket.empty())
        throw rung::Error("--console-socket: terminals (process.terminal) come with phase 3");
}

// Each add_<command>() below keeps the command's options in a shared_ptr its action holds:
// CLI11 writes into them while parsing, the action reads them afterwards. `root` is main()'s.
void add_create(rung::Cli& cli, const std::string& root) {
    struct Opts {
        rung::CreateOptions create;
        std::string console_socket;
    };
    auto o = std::make_shared<Opts>();
    CLI::App* cmd =
        cli.command("create", "Create a container; `start` runs its process", [=, &root] {
            reject_console_socket(o->console_socket);
            o->create.root = root;
            rung::create_container(o->create);
            return 0;
        });
    add_create_options(cmd, o->create, o->console_socket);
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
    };
    auto o = std::make_shared<Opts>();
    CLI::App* cmd = cli.command("kill", "Send a signal (default TERM) to a container", [=, &root] {
        rung::kill_container(root, o->id, rung::sys::parse_signal(o->signal));
        return 0;
    });
    add_id(cmd, o->id);
    cmd->add_option("signal,--signal", o->signal, "KILL, SIGKILL, 9, ...")->capture_default_str();
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
        std::string console_socket;
    };
    auto o = std::make_shared<Opts>();
    CLI::App* cmd = cli.command("run", "Create and start a container, wait, delete it", [=, &root] {
        reject_console_socket(o->console_socket);
        o->create.root = root;
        return rung::run_container(o->create);
    });
    add_create_options(cmd, o->create, o->console_socket);
    cmd->add_flag("--keep", o->create.keep, "Do not delete the container after it exits");
}

} // namespace

int main(int argc, char** argv) {
    rung::Cli cli("rung: a container runtime, phase 2 (lifecycle)", RUNG_PHASE);
    std::string root = "/run/rung";
    // Each container's state is <root>/<id>: an empty root would put it in the host's /.
    cli.app()
        .add_option("--root", root, "Where containers' state lives")
        ->check(CLI::Validator(
            [](const std::string& dir) { return dir.empty() ? "must not be empty" : ""; }, "DIR"))
        ->capture_default_str();
    add_create(cli, root);
    add_start(cli, root);
    add_state(cli, root);
    add_kill(cli, root);
    add_delete(cli, root);
    add_list(cli, root);
    add_run(cli, root);
    return cli.run(argc, argv);
}
