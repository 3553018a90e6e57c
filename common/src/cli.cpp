#include "rung/cli.hpp"

#include "rung/error.hpp"
#include "rung/log.hpp"

#include <cstdlib>
#include <iostream>

#ifndef RUNG_VERSION
#define RUNG_VERSION "0.0.0"
#endif

namespace rung {

std::string rung_version() {
    return RUNG_VERSION;
}

std::string spec_version() {
    return "1.2.0";
}

std::string version_string(const std::string& phase) {
    return "rung version " + rung_version() + "\nphase: " + phase + "\nspec: " + spec_version() +
           "\n";
}

Cli::Cli(std::string description, std::string phase) : app_(std::move(description), "rung") {
    app_.require_subcommand(1);
    app_.add_option("--log", globals_.log_file, "Write log messages to FILE instead of stderr");
    app_.add_option("--log-format", globals_.log_format, "Log format")
        ->check(CLI::IsMember({"text", "json"}));
    app_.add_flag("--debug", globals_.debug,
                  "Narrate every step: the syscall, its arguments and the spec rule it serves");
    app_.add_flag_callback(
        "-v,--version",
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

namespace {

// A usage error: reported as one line and exit status 1, like every other error.
struct UsageError {
    std::string message;
};

bool takes_value(const CLI::Option* opt) {
    return opt->get_items_expected_max() > 0;
}

// An option of `app` by the name written on the command line ("--log", "-f"), or one of its
// parent's where the parent's options carry through.
const CLI::Option* find_option(const CLI::App* app, const std::string& name) {
    for (; app != nullptr; app = app->get_fallthrough() ? app->get_parent() : nullptr) {
        // `name` starts with '-', so only an option's flag names can match it.
        if (const CLI::Option* opt = app->get_option_no_throw(name)) return opt;
    }
    return nullptr;
}

// Check the options of one command (or of rung itself) from args[i] up to its first positional
// argument, which it returns the index of (args.size() if none). An unknown flag is an error
// here, before CLI11 sees it: a command that passes its trailing words on (prefix_command, as
// `run CMD...` and `exec ID CMD...`) would otherwise take an unknown flag for the first of them.
size_t check_options(const CLI::App* app, const std::string& where,
                     const std::vector<std::string>& args, size_t i) {
    auto unknown = [&](const std::string& flag) {
        return UsageError{where + "unknown flag " + quote(flag)};
    };
    for (; i < args.size(); ++i) {
        const std::string& a = args[i];
        if (a == "--") return i + 1 < args.size() ? i + 1 : args.size();
        if (a.size() < 2 || a[0] != '-') return i;
        if (a[1] == '-') { // --name or --name=value
            std::string name = a.substr(0, a.find('='));
            const CLI::Option* opt = find_option(app, name);
            if (opt == nullptr) throw unknown(name);
            if (takes_value(opt) && name.size() == a.size()) ++i;
            continue;
        }
        for (size_t c = 1; c < a.size(); ++c) { // -x, -xyz (flags), -xVALUE, -x VALUE
            const CLI::Option* opt = find_option(app, std::string("-") + a[c]);
            if (opt == nullptr) throw unknown(std::string("-") + a[c]);
            if (takes_value(opt)) {
                if (c + 1 == a.size()) ++i;
                break;
            }
        }
    }
    return args.size();
}

// Where a mistake in the command line is reported: --log and --log-format as the line gives
// them before the command, read here because CLI11's parse failed or never ran. The engines read
// the reason from that file (containerd's shim reports the last error entry in it), so a usage
// error goes there as every other error does.
log::Options usage_log_options(const CLI::App* app, const std::vector<std::string>& args) {
    log::Options lo;
    for (size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        if (a.size() < 2 || a[0] != '-' || a == "--") break; // the command
        std::string name = a.substr(0, a.find('='));
        bool joined = name.size() < a.size(); // --log=FILE
        std::string value = joined ? a.substr(name.size() + 1)
                                   : (i + 1 < args.size() ? args[i + 1] : std::string());
        if (name == "--log") lo.file = value;
        if (name == "--log-format")
            lo.format = value == "json" ? log::Format::json : log::Format::text;
        const CLI::Option* opt = find_option(app, name);
        if (!joined && opt != nullptr && takes_value(opt)) ++i;
    }
    return lo;
}

// CLI11's "The following argument was not expected: x" as rung says it.
std::string extras_message(const std::string& what) {
    std::string word = what.substr(what.rfind(' ') + 1); // CLI11 lists them last to first
    return (word.starts_with("-") ? "unknown flag " : "unexpected argument ") + quote(word);
}

} // namespace

int Cli::run(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    std::string where;          // "run: ", once the command is known
    CLI::App* chosen = nullptr; // that command
    try {
        // Which command, before CLI11 parses: it would print the general help for
        // `rung checkpoint -h` and call a misspelt command a missing one.
        size_t i = check_options(&app_, "", args, 0);
        if (i < args.size()) {
            for (const auto& entry : actions_)
                if (entry.first->get_name() == args[i]) chosen = entry.first;
            if (chosen == nullptr) throw UsageError{"unknown command " + quote(args[i])};
            where = args[i] + ": ";
            check_options(chosen, where, args, i + 1);
        }
        try {
            for (CLI::App* sub : app_.get_subcommands({}))
                for (CLI::Option* opt : sub->get_options())
                    // Each -e, --env takes one value: `exec -e A=1 ID` must not take ID as well.
                    if (opt->nonpositional()) opt->allow_extra_args(false);
            app_.parse(argc, argv);
        } catch (const CLI::Success& e) {
            return app_.exit(e); // --help, --version
        } catch (const CLI::ExtrasError& e) {
            throw UsageError{where + extras_message(e.what())};
        } catch (const CLI::RequiredError& e) {
            if (where.empty()) throw UsageError{"no command given (rung --help lists them)"};
            throw UsageError{where + e.what()};
        } catch (const CLI::ParseError& e) {
            // "--log-format: xml not in {text,json}" is about rung's option, not the command's.
            std::string what = e.what();
            std::string name = what.substr(0, what.find(':'));
            bool global = chosen != nullptr && app_.get_option_no_throw(name) != nullptr &&
                          find_option(chosen, name) == nullptr;
            throw UsageError{(global ? "" : where) + what};
        }
    } catch (const UsageError& e) {
        try {
            log::configure(usage_log_options(&app_, args));
        } catch (const Error&) {
            log::configure({}); // the log file cannot be opened: stderr alone, as text
        }
        log::error(e.message);
        return 1;
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
