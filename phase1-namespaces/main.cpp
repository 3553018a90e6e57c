// rung, phase 1: run a command in new namespaces.
//
//     rung run [--rootfs DIR] [--hostname NAME] [--] CMD [ARGS...]
//
// main() declares each command through one add_<command>() function: the options it takes and
// the call it makes. Phase 1 has one.
#include "container.hpp"
#include "rung/cli.hpp"
#include "rung/error.hpp"

#include <memory>

namespace {

// The options live in a shared_ptr the action holds: CLI11 writes into them while parsing, the
// action reads them afterwards.
void add_run(rung::Cli& cli) {
    auto opts = std::make_shared<rung::RunOptions>();
    CLI::App* cmd =
        cli.command("run", "Run CMD in new UTS, PID, mount, IPC and network namespaces", [=] {
            if (opts->args.empty())
                throw rung::Error(
                    "no command given: usage: rung run [--rootfs DIR] [--] CMD [ARGS...]");
            return rung::run_container(*opts);
        });
    cmd->add_option("--rootfs", opts->rootfs, "The container's root directory")
        ->capture_default_str();
    cmd->add_option("--hostname", opts->hostname, "The container's hostname")
        ->capture_default_str();
    cmd->add_option("command", opts->args, "CMD [ARGS...], run inside the container");
    // Everything from CMD on belongs to the container, even words that look like options.
    cmd->positionals_at_end();
    cmd->prefix_command();
}

} // namespace

int main(int argc, char** argv) {
    rung::Cli cli("rung: a container runtime, phase 1 (namespaces)", RUNG_PHASE);
    add_run(cli);
    return cli.run(argc, argv);
}
