// rung, phase 2: the OCI lifecycle.
//
//     rung [--root DIR] create [--bundle DIR] [--pid-file FILE] ID
//     rung [--root DIR] start ID
//     rung [--root DIR] state ID
//     rung [--root DIR] kill ID [SIGNAL]     (or --signal SIGNAL, the OCI command line's spelling)
//     rung [--root DIR] delete [--force] ID
//     rung [--root DIR] list [--format table|json] [--quiet]
//     rung [--root DIR] run [--bundle DIR] [--pid-file FILE] ID
#include "container.hpp"
#include "rung/cli.hpp"
#include "rung/error.hpp"
#include "rung/sys.hpp"

#include <iostream>

namespace {

// create and run take the same options.
void add_create_options(CLI::App* cmd, rung::CreateOptions& opts, std::string& console_socket) {
    cmd->add_option("--bundle,-b", opts.bundle, "The bundle directory (holds config.json)")
        ->capture_default_str();
    cmd->add_option("--pid-file", opts.pid_file, "Write the container's pid to FILE");
    cmd->add_option("--console-socket", console_socket, "Not before phase 3 (terminals)");
    cmd->add_option("id", opts.id, "The container ID")->required();
}

// process.terminal and the console socket protocol arrive with phase 3.
void reject_console_socket(const std::string& socket) {
    if (!socket.empty())
        throw rung::Error("--console-socket: terminals (process.terminal) come with phase 3");
}

} // namespace

int main(int argc, char** argv) {
    rung::Cli cli("rung: a container runtime, phase 2 (lifecycle)", RUNG_PHASE);
    std::string root = "/run/rung";
    cli.app().add_option("--root", root, "Where containers' state lives")->capture_default_str();

    rung::CreateOptions opts;
    std::string console_socket, signal = "TERM", format = "table";
    bool force = false, quiet = false;

    CLI::App* create = cli.command("create", "Create a container; `start` runs its process", [&] {
        reject_console_socket(console_socket);
        opts.root = root;
        rung::create_container(opts);
        return 0;
    });
    add_create_options(create, opts, console_socket);

    cli.command("start", "Run the process of a created container",
                [&] {
                    rung::start_container(root, opts.id);
                    return 0;
                })
        ->add_option("id", opts.id, "The container ID")
        ->required();

    cli.command("state", "Print the state of a container as JSON",
                [&] {
                    std::cout << rung::container_state(root, opts.id).dump(2) << "\n";
                    return 0;
                })
        ->add_option("id", opts.id, "The container ID")
        ->required();

    CLI::App* kill = cli.command("kill", "Send a signal (default TERM) to a container", [&] {
        rung::kill_container(root, opts.id, rung::sys::parse_signal(signal));
        return 0;
    });
    kill->add_option("id", opts.id, "The container ID")->required();
    kill->add_option("signal,--signal", signal, "KILL, SIGKILL, 9, ...")->capture_default_str();

    CLI::App* del = cli.command("delete", "Delete a stopped container", [&] {
        rung::delete_container(root, opts.id, force);
        return 0;
    });
    del->add_flag("--force,-f", force, "Kill a created or running container first");
    del->add_option("id", opts.id, "The container ID")->required();

    CLI::App* list = cli.command("list", "List containers", [&] {
        rung::list_containers(root, format, quiet);
        return 0;
    });
    list->add_option("--format", format, "table or json")
        ->check(CLI::IsMember({"table", "json"}))
        ->capture_default_str();
    list->add_flag("--quiet,-q", quiet, "Print only the IDs");

    CLI::App* run = cli.command("run", "Create and start a container, wait, delete it", [&] {
        reject_console_socket(console_socket);
        opts.root = root;
        return rung::run_container(opts);
    });
    add_create_options(run, opts, console_socket);

    return cli.run(argc, argv);
}
