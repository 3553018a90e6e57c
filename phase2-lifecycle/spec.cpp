// spec: read config.json, field by field, with errors that say which field is wrong and why.
#include "spec.hpp"

#include "rung/error.hpp"

#include <string_view>

namespace rung {
namespace {

[[noreturn]] void bad_field(std::string_view field, std::string_view reason) {
    throw Error("config.json: " + std::string(field) + ": " + std::string(reason));
}

// The member `key` of `obj`, or nullptr when it is absent. Absent and null are the same: Go's
// encoding/json writes nil slices and maps as null, and Go runtimes read them back as absent, so
// engines may send them.
const json* member(const json& obj, const char* key) {
    auto it = obj.find(key);
    return it == obj.end() || it->is_null() ? nullptr : &*it;
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
