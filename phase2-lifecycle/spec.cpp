// spec: read config.json, field by field, with errors that say which field is wrong and why.
#include "spec.hpp"

#include "rung/error.hpp"

#include <string_view>

namespace rung {
namespace {

// A property phase 2 leaves for later, as a JSON pointer, and the phase that applies it.
struct Deferred {
    const char* pointer;
    int phase;
};

constexpr Deferred kDeferred[] = {
    {"/mounts", 3},
    {"/linux/namespaces", 3},
    {"/root/readonly", 3},
    {"/process/terminal", 3},
    {"/process/consoleSize", 3},
    {"/process/user", 3},
    {"/domainname", 3},
    {"/hooks", 3},
    {"/linux/devices", 3},
    {"/linux/rootfsPropagation", 3},
    {"/linux/cgroupsPath", 4},
    {"/linux/resources", 4},
    {"/process/capabilities", 5},
    {"/process/noNewPrivileges", 5},
    {"/process/rlimits", 5},
    {"/linux/seccomp", 5},
    {"/linux/maskedPaths", 5},
    {"/linux/readonlyPaths", 5},
    {"/linux/sysctl", 5},
    {"/linux/uidMappings", 5},
    {"/linux/gidMappings", 5},
};

// null, false, 0, "", [], {}, or an object made only of those: what an absent property means.
bool is_default(const json& j) {
    if (j.is_object()) {
        for (const auto& [key, value] : j.items())
            if (!is_default(value)) return false;
        return true;
    }
    if (j.is_array() || j.is_string()) return j.empty();
    if (j.is_boolean()) return !j.get<bool>();
    if (j.is_number()) return j == 0;
    return j.is_null();
}

// "/process/user" -> "process.user", the way the spec's prose names a property.
std::string dotted(std::string_view pointer) {
    std::string out(pointer.substr(1));
    for (char& c : out)
        if (c == '/') c = '.';
    return out;
}

[[noreturn]] void bad_field(std::string_view field, std::string_view reason) {
    throw Error("config.json: " + std::string(field) + ": " + std::string(reason));
}

// The member `key` of `obj`, or nullptr when it is absent.
const json* member(const json& obj, const char* key) {
    auto it = obj.find(key);
    return it == obj.end() ? nullptr : &*it;
}

const json& object_field(const json& obj, const char* key, std::string_view field) {
    const json* j = member(obj, key);
    if (!j) bad_field(field, "missing");
    if (!j->is_object()) bad_field(field, "must be an object");
    return *j;
}

std::string string_field(const json& obj, const char* key, std::string_view field, bool required) {
    const json* j = member(obj, key);
    if (!j) {
        if (required) bad_field(field, "missing");
        return "";
    }
    if (!j->is_string()) bad_field(field, "must be a string");
    return j->get<std::string>();
}

std::vector<std::string> strings_field(const json& obj, const char* key, std::string_view field) {
    std::vector<std::string> out;
    const json* j = member(obj, key);
    if (!j) return out;
    if (!j->is_array()) bad_field(field, "must be an array of strings");
    for (const auto& item : *j) {
        if (!item.is_string()) bad_field(field, "must be an array of strings");
        out.push_back(item.get<std::string>());
    }
    return out;
}

// config.md, "Specification version": SemVer, and rung implements 1.x, which stays compatible
// within the major version.
std::string read_oci_version(const json& config) {
    std::string v = string_field(config, "ociVersion", "ociVersion", true);
    if (v.rfind("1.", 0) != 0)
        bad_field("ociVersion", quote(v) + " is not supported (rung implements 1.x)");
    return v;
}

// config.md, "Root": path is REQUIRED on Linux; readonly defaults to false.
Root read_root(const json& config) {
    const json& root = object_field(config, "root", "root");
    Root r;
    r.path = string_field(root, "path", "root.path", true);
    if (r.path.empty()) bad_field("root.path", "must not be empty");
    if (const json* ro = member(root, "readonly")) {
        if (!ro->is_boolean()) bad_field("root.readonly", "must be true or false");
        r.readonly = ro->get<bool>();
    }
    return r;
}

// config.md, "Process": args needs at least one entry, cwd is REQUIRED and absolute, env is
// taken as given. process is REQUIRED at start; phase 2's init needs it from create on.
Process read_process(const json& config) {
    const json& process = object_field(config, "process", "process");
    Process p;
    if (!member(process, "args")) bad_field("process.args", "missing");
    p.args = strings_field(process, "args", "process.args");
    if (p.args.empty()) bad_field("process.args", "must name a command (it is empty)");
    if (p.args[0].empty()) bad_field("process.args", "the command must not be an empty string");
    p.env = strings_field(process, "env", "process.env");
    p.cwd = string_field(process, "cwd", "process.cwd", true);
    if (p.cwd.empty() || p.cwd[0] != '/')
        bad_field("process.cwd", quote(p.cwd) + " is not an absolute path");
    return p;
}

// config.md, "Annotations": a map of strings to strings, keys not empty.
std::map<std::string, std::string> read_annotations(const json& config) {
    std::map<std::string, std::string> out;
    const json* a = member(config, "annotations");
    if (!a) return out;
    if (!a->is_object()) bad_field("annotations", "must be an object of strings");
    for (const auto& [key, value] : a->items()) {
        if (key.empty()) bad_field("annotations", "keys must not be empty");
        if (!value.is_string()) bad_field("annotations." + key, "must be a string");
        out[key] = value.get<std::string>();
    }
    return out;
}

} // namespace

std::string not_applied(const json& config) {
    // kDeferred is ordered by phase: close a group with "(phase N)" when the phase changes.
    std::string out, group;
    int phase = 0;
    auto close_group = [&] {
        if (group.empty()) return;
        if (!out.empty()) out += "; ";
        out += group + " (phase " + std::to_string(phase) + ")";
        group.clear();
    };
    for (const auto& d : kDeferred) {
        json::json_pointer ptr(d.pointer);
        if (!config.contains(ptr) || is_default(config.at(ptr))) continue;
        if (d.phase != phase) close_group();
        phase = d.phase;
        group += (group.empty() ? "" : ", ") + dotted(d.pointer);
    }
    close_group();
    return out;
}

Spec load_spec(const std::string& bundle_dir) {
    json config = read_json_file(bundle_dir + "/config.json", "config.json");
    if (!config.is_object()) throw Error("config.json: must hold a JSON object");
    Spec spec;
    spec.oci_version = read_oci_version(config);
    spec.root = read_root(config);
    spec.process = read_process(config);
    spec.hostname = string_field(config, "hostname", "hostname", false);
    spec.annotations = read_annotations(config);
    spec.not_applied = not_applied(config);
    return spec;
}

} // namespace rung
