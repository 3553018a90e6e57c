// spec: what phase 2 reads from the bundle's config.json (runtime-spec config.md).
//
// Phase 2 reads just enough to run a process: the root filesystem, the process's argv,
// environment and working directory, the hostname and the annotations that the state reports.
// Everything else that config.json may ask for is named in one warning, with the phase that adds
// it. Phase 3 grows this file into the full typed model.
#pragma once

#include "rung/json.hpp"

#include <map>
#include <string>
#include <vector>

namespace rung {

// config.md, "Root".
struct Root {
    std::string path; // as written: absolute, or relative to the bundle
    bool readonly = false;
};

// config.md, "Process". Only what phase 2 applies.
struct Process {
    std::vector<std::string> args; // at least one entry; args[0] is looked up like execvp's file
    std::vector<std::string> env;  // exactly as given: never the runtime's own environment
    std::string cwd;               // absolute
};

struct Spec {
    std::string oci_version;
    Root root;
    Process process;
    std::string hostname; // empty: keep the one the new UTS namespace starts with
    std::map<std::string, std::string> annotations;
    // The warning for what config.json asks for and phase 2 does not apply (see not_applied).
    std::string not_applied;
};

// Read and check <bundle_dir>/config.json. Errors name the file and the field:
//     config.json: process.args: missing
Spec load_spec(const std::string& bundle_dir);

// The properties of `config` that phase 2 does not apply yet, grouped by the phase that adds
// them: "mounts, linux.namespaces (phase 3); linux.resources (phase 4)". Empty if none.
// A property that is absent or holds only its default value ({"uid": 0, "gid": 0}, false, [])
// is not listed: phase 2 already behaves as it asks.
std::string not_applied(const json& config);

} // namespace rung
