// rung, phase 1: run a command in new namespaces.
//
//     rung run [--rootfs DIR] [--hostname NAME] [--] CMD [ARGS...]
#include "container.hpp"
#include "rung/cli.hpp"
#include "rung/error.hpp"

int main(int argc, char** argv) {
    rung::Cli cli("rung: a container runtime, phase 1 (namespaces)", RUNG_PHASE);
    rung::RunOptions opts;

    CLI::App* run = nullptr;
    run = cli.command("run", "Run CMD in new UTS, PID, mount, IPC and network namespaces", [&] {
        if (opts.args.empty())
            throw rung::Error(
                "no command given: usage: rung run [--rootfs DIR] [--] CMD [ARGS...]");
        return rung::run_container(opts);
    });
    run->add_option("--rootfs", opts.rootfs, "The container's root directory")
        ->capture_default_str();
    run->add_option("--hostname", opts.hostname, "The container's hostname")->capture_default_str();
    run->add_option("command", opts.args, "CMD [ARGS...], run inside the container");
    // Everything from CMD on belongs to the container, even words that look like options.
    run->positionals_at_end();
    run->prefix_command();

    return cli.run(argc, argv);
}
