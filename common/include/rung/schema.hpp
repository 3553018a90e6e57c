// rung/schema.hpp: a JSON schema reader that names the place of every error.
//
// One overloaded read(node, value) per JSON type does the type and range checks, and every Node
// carries its JSON path (in jq syntax), so any error can name the place:
//
//     config.json: .linux.namespaces[1].type: unknown namespace type "foo"
//
// A model struct T is read by a function fields(Obj&, T&) that is only a list of its properties,
// found by argument-dependent lookup (declare it in T's namespace):
//
//     o.need("path", hook.path, absolute);   // required, then checked
//     o.get("timeout", hook.timeout, at_least(1));
//
// Absent and null are the same everywhere (Go writes nil slices and maps as null). Obj remembers
// which keys were asked for; the rest are collected in Doc::unknown (config.md, "Extensibility":
// runtimes MUST ignore unknown properties, MAY log them). NUL bytes never get this far:
// read_json_file() refuses them in any string or key.
#pragma once

#include "rung/error.hpp"
#include "rung/json.hpp"

#include <algorithm>
#include <cctype>
#include <concepts>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rung::schema {

// An enum of the schema: its allowed values.
using Names = std::span<const std::string_view>;

// The document being read: its name for messages and the unknown properties found so far.
struct Doc {
    std::string name;
    std::vector<std::string> unknown;
};

// jq syntax, so a path from a message can be pasted into jq: .a.b[2]["io.x-y"].
inline std::string child_path(const std::string& parent, const std::string& key) {
    auto word = [](unsigned char c) { return std::isalnum(c) || c == '_'; };
    bool plain = !key.empty() && !std::isdigit(static_cast<unsigned char>(key[0])) &&
                 std::all_of(key.begin(), key.end(), word);
    if (plain) return parent + "." + key;
    return (parent.empty() ? "." : parent) + "[" + quote(key) + "]";
}

[[noreturn]] inline void fail_at(const Doc& doc, const std::string& path, const std::string& msg) {
    throw Error(doc.name + ": " + (path.empty() ? "." : path) + ": " + msg);
}

// Absent and null are the same: Go's encoding/json writes nil slices and maps as null, and Go
// runtimes read them back as absent, so engines may send them.
inline bool has_value(const json& object, const std::string& key) {
    auto it = object.find(key);
    return it != object.end() && !it->is_null();
}

// One JSON value and its path.
struct Node {
    Doc& doc;
    const json& j;
    std::string path;

    [[noreturn]] void fail(const std::string& msg) const { fail_at(doc, path, msg); }
    Node at(size_t i) const { return {doc, j[i], path + "[" + std::to_string(i) + "]"}; }
    Node at(const std::string& key, const json& value) const {
        return {doc, value, child_path(path, key)};
    }
};

// ---- one read() per JSON type ----

inline void read(const Node& n, bool& out) {
    if (!n.j.is_boolean()) n.fail("expected a boolean");
    out = n.j.get<bool>();
}

inline void read(const Node& n, std::string& out) {
    if (!n.j.is_string()) n.fail("expected a string");
    out = n.j.get<std::string>();
}

// The platform sections rung does not model are kept as JSON; a check validates them.
inline void read(const Node& n, json& out) {
    out = n.j;
}

// defs.json's int32, uint32, uint64...: a fraction or a value out of range is an error, never
// silently wrapped (a uid of -1 must not become 4294967295).
template <std::integral T>
void read(const Node& n, T& out) {
    using limits = std::numeric_limits<T>;
    const std::string name =
        (limits::is_signed ? "int" : "uint") + std::to_string(limits::digits + limits::is_signed);
    if (!n.j.is_number_integer())
        n.fail((limits::is_signed ? "expected an " : "expected a ") + name);
    const bool is_unsigned = n.j.is_number_unsigned();
    const uint64_t u = is_unsigned ? n.j.get<uint64_t>() : 0;
    const int64_t s = is_unsigned ? 0 : n.j.get<int64_t>();
    if (is_unsigned ? !std::in_range<T>(u) : !std::in_range<T>(s)) {
        n.fail(n.j.dump() + " is out of range for " + name + " (" + std::to_string(limits::min()) +
               " to " + std::to_string(limits::max()) + ")");
    }
    out = is_unsigned ? static_cast<T>(u) : static_cast<T>(s);
}

template <class T>
void read(const Node& n, std::vector<T>& out) {
    if (!n.j.is_array()) n.fail("expected an array");
    out.resize(n.j.size());
    for (size_t i = 0; i < out.size(); ++i)
        read(n.at(i), out[i]);
}

template <class T>
void read(const Node& n, std::map<std::string, T>& out) {
    if (!n.j.is_object()) n.fail("expected an object");
    for (const auto& [key, value] : n.j.items()) {
        if (key.empty()) n.fail("empty key"); // config.md, annotations: keys MUST NOT be empty
        read(n.at(key, value), out[key]);
    }
}

template <class T>
void read(const Node& n, std::optional<T>& out) {
    read(n, out.emplace());
}

class Obj;

// A model struct: an object whose fields(Obj&, T&) lists its properties.
template <class T>
void read(const Node& n, T& out);

// Checks run on a value just read; the value of an optional is passed unwrapped.
template <class T>
const T& value_of(const T& v) {
    return v;
}
template <class T>
const T& value_of(const std::optional<T>& v) {
    return *v;
}

struct NoCheck {
    template <class T>
    void operator()(const Node&, const T&) const {}
};

// An object being read. It remembers which keys the parser asked for: finish() lists the rest
// as unknown properties.
class Obj {
public:
    explicit Obj(const Node& n) : n_(n) {
        if (!n.j.is_object()) n.fail("expected an object");
    }

    // Read `key` into `out` if it is present, then run `check(node, value)`. Returns whether
    // the key was present; an absent key leaves `out` as it was.
    template <class T, class Check = NoCheck>
    bool get(const std::string& key, T& out, Check check = {}) {
        seen_.insert(key);
        if (!has_value(n_.j, key)) return false;
        Node child = n_.at(key, n_.j.at(key));
        read(child, out);
        check(child, value_of(out));
        return true;
    }

    template <class T, class Check = NoCheck>
    void need(const std::string& key, T& out, Check check = {}) {
        if (!get(key, out, check)) fail(key, "missing");
    }

    // For sections rung keeps only as JSON: check each key as a T and throw the value away.
    template <class T, class Check = NoCheck>
    void validate(std::initializer_list<const char*> keys, Check check = {}) {
        for (const char* key : keys) {
            T ignored{};
            get(key, ignored, check);
        }
    }
    template <class T, class Check = NoCheck>
    void validate_required(std::initializer_list<const char*> keys, Check check = {}) {
        for (const char* key : keys) {
            T ignored{};
            need(key, ignored, check);
        }
    }

    [[noreturn]] void fail(const std::string& key, const std::string& msg) const {
        fail_at(n_.doc, child_path(n_.path, key), msg);
    }
    [[noreturn]] void fail(const std::string& msg) const { n_.fail(msg); }

    void finish() {
        for (const auto& [key, value] : n_.j.items()) {
            if (!seen_.contains(key)) n_.doc.unknown.push_back(child_path(n_.path, key));
        }
    }

private:
    Node n_;
    std::set<std::string> seen_;
};

template <class T>
void read(const Node& n, T& out) {
    Obj o(n);
    fields(o, out);
    o.finish();
}

// ---- checks: the schema's enums and patterns, and the MUSTs of the prose that any document has
// ----

inline auto one_of(Names allowed, std::string what, std::string hint = {}) {
    return [=](const Node& n, const std::string& v) {
        if (std::find(allowed.begin(), allowed.end(), v) != allowed.end()) return;
        n.fail("unknown " + what + " " + quote(v) + (hint.empty() ? "" : " (" + hint + ")"));
    };
}

// `pattern` is the schema's own, so the two can be compared by eye.
inline auto matches(const char* pattern, std::string what, std::string hint) {
    return [re = std::regex(pattern), what, hint](const Node& n, const std::string& v) {
        if (!std::regex_match(v, re))
            n.fail("invalid " + what + " " + quote(v) + " (" + hint + ")");
    };
}

// Apply `check` to each element of an array.
template <class Check>
auto each(Check check) {
    return [=](const Node& n, const auto& values) {
        for (size_t i = 0; i < values.size(); ++i)
            check(n.at(i), values[i]);
    };
}

inline auto at_least(int64_t min) {
    return [=](const Node& n, int64_t v) {
        if (v < min) n.fail("must be at least " + std::to_string(min));
    };
}

inline auto at_most(uint64_t max) {
    return [=](const Node& n, uint64_t v) {
        if (v > max) n.fail("must be at most " + std::to_string(max));
    };
}

inline constexpr auto non_empty = [](const Node& n, const auto& v) {
    if (v.empty()) n.fail("must not be empty");
};

inline void absolute(const Node& n, const std::string& v) {
    if (!v.starts_with('/')) n.fail(quote(v) + " is not an absolute path");
}

// config.md (rlimits) and config-linux.md (namespaces): a type listed twice MUST be an error.
inline auto unique_types(std::string what) {
    return [=](const Node& n, const auto& items) {
        std::set<std::string> seen;
        for (size_t i = 0; i < items.size(); ++i) {
            if (!seen.insert(items[i].type).second) {
                n.at(i).fail("duplicate " + what + " " + quote(items[i].type));
            }
        }
    };
}

// Validate a section kept as JSON with `f(Obj&)`, which lists its properties.
template <class F>
auto shape(F f) {
    return [=](const Node& n, const json&) {
        Obj o(n);
        f(o);
        o.finish();
    };
}

// A free-form object (windows.credentialSpec): any properties, none unknown.
inline void any_object(const Node& n, const json& v) {
    if (!v.is_object()) n.fail("expected an object");
}

} // namespace rung::schema
