#include "rung/cli.hpp"

#include "rung/error.hpp"
#include "rung/log.hpp"

#include <cstdlib>
#include <iostream>

#ifndef RUNG_VERSION
#define RUNG_VERSION "0.0.0"
#endif

namespace rung {

std::string version_string(const std::string& phase) {
    return std::string("rung version ") + RUNG_VERSION + "\nphase: " + phase + "\nspec: 1.2.0\n";
}

Cli::Cli(std::string description, std::string phase) : app_(std::move(description), "rung") {
    app_.require_subcommand(1);
    app_.add_option("--log", globals_.log_file, "Write log messages to FILE instead of stderr");
    app_.add_option("--log-format", globals_.log_format, "Log format")
        ->check(CLI::IsMember({"text", "json"}));
    app_.add_flag("--debug", globals_.debug,
                  "Narrate every step: the syscall, its arguments and the spec rule it serves");
    app_.add_flag_callback(
        "--version",
        [phase] {
            std::cout << version_string(phase);
            throw CLI::Success();
        },
        "Print the version and exit");
}

CLI::App* Cli::command(const std::string& name, const std::string& description,
                       std::function<int()> action) {
    CLI::App* sub = app_.add_subcommand(name, description);
    actions_[sub] = std::move(action);
    return sub;
}

int Cli::run(int argc, char** argv) {
    try {
        app_.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app_.exit(e);
    }

    log::Options lo;
    const char* env_debug = std::getenv("RUNG_DEBUG");
    if (globals_.debug || (env_debug && *env_debug && std::string(env_debug) != "0"))
        lo.level = log::Level::debug;
    lo.format = globals_.log_format == "json" ? log::Format::json : log::Format::text;
    lo.file = globals_.log_file;

    CLI::App* sub = app_.get_subcommands().front();
    try {
        log::configure(lo);
        return with_context(sub->get_name(), actions_.at(sub));
    } catch (const Error& e) {
        log::error(e.what());
        return e.exit_status();
    } catch (const std::exception& e) {
        log::error(sub->get_name() + ": " + e.what());
    }
    return 1;
}

} // namespace rung
