// rung/cli.hpp: the command-line plumbing every phase shares.
//
// A phase's main.cpp only declares its commands; this class parses the line, sets up logging
// from the global flags, runs the chosen command, and turns an escaping Error into one line on
// stderr (and in --log) with exit status 1.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <map>
#include <string>

namespace rung {

struct GlobalOptions {
    std::string log_file;            // --log FILE
    std::string log_format = "text"; // --log-format text|json
    bool debug = false;              // --debug, or RUNG_DEBUG=1 in the environment
};

class Cli {
public:
    // `phase` is shown by --version, for example "1-namespaces".
    Cli(std::string description, std::string phase);

    CLI::App& app() { return app_; }
    const GlobalOptions& globals() const { return globals_; }

    // Declare a command. `action` runs after parsing and returns the exit status.
    CLI::App* command(const std::string& name, const std::string& description,
                      std::function<int()> action);

    int run(int argc, char** argv);

private:
    CLI::App app_;
    GlobalOptions globals_;
    std::map<CLI::App*, std::function<int()>> actions_;
};

std::string version_string(const std::string& phase);

// The version of rung ("0.1.0") and of the runtime-spec it implements ("1.2.0"), as
// version_string() prints them; `features` reports them too (phase 5).
std::string rung_version();
std::string spec_version();

} // namespace rung
