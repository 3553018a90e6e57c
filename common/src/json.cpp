#include "rung/json.hpp"

#include "rung/error.hpp"
#include "rung/file.hpp"

#include <cstdio>

namespace rung {
namespace {

// A path for messages, in the form spec errors use: .process.args[1]
std::string child_path(const std::string& parent, const json& container, const std::string& key,
                       size_t index) {
    if (container.is_array()) return parent + "[" + std::to_string(index) + "]";
    return parent + "." + key;
}

// Strings reach the kernel as C strings, where a NUL byte would silently end them: an argument,
// a path or an environment entry would be cut short. Reject any string, or key, holding one.
void reject_nul(const json& j, const std::string& where, const std::string& display_name) {
    if (j.is_string()) {
        if (j.get_ref<const std::string&>().find('\0') != std::string::npos)
            throw Error(display_name + ": " + (where.empty() ? "." : where) +
                        ": a string holds a NUL byte");
        return;
    }
    if (!j.is_structured()) return;
    size_t i = 0;
    for (auto it = j.begin(); it != j.end(); ++it, ++i) {
        std::string key = j.is_object() ? it.key() : "";
        if (key.find('\0') != std::string::npos)
            throw Error(display_name + ": " + (where.empty() ? "." : where) +
                        ": a key holds a NUL byte");
        reject_nul(*it, child_path(where, j, key, i), display_name);
    }
}

// nlohmann's message quotes the bytes it read last. It writes control bytes as <U+001B>, but a
// byte of 0x80 or more raw: a config.json holding 0xff put it on the terminal and into the JSON
// log, which is then not UTF-8. Every byte outside printable ASCII becomes \xNN.
std::string printable(std::string_view s) {
    std::string out;
    for (unsigned char c : s) {
        if (c >= 0x20 && c < 0x7f) {
            out += static_cast<char>(c);
        } else {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\x%02x", c);
            out += buf;
        }
    }
    return out;
}

} // namespace

json read_json_file(const std::string& path, const std::string& display_name) {
    return parse_json(
        with_context(display_name, [&] { return read_regular_file(path, kMaxFileSize); }),
        display_name);
}

json parse_json(const std::string& text, const std::string& display_name) {
    json doc;
    try {
        // Stop at the first level too deep, before building it: a document nested 100,000
        // levels deep would otherwise exhaust the stack in whatever walks it.
        doc = json::parse(text, [&](int depth, json::parse_event_t, json&) {
            if (depth > static_cast<int>(kMaxJsonDepth))
                throw Error(display_name + ": nested deeper than " + std::to_string(kMaxJsonDepth) +
                            " levels");
            return true;
        });
    } catch (const json::exception& e) {
        // nlohmann's text is "[json.exception.parse_error.101] parse error at line 1, ...". Not
        // only parse_error: a number too big for a double is out_of_range.406 (found by
        // tests/fuzz/state.cpp), and must name the file too.
        std::string what = e.what();
        auto pos = what.find("] ");
        throw Error(display_name + ": " +
                    printable(pos == std::string::npos ? what : what.substr(pos + 2)));
    }
    reject_nul(doc, "", display_name);
    return doc;
}

} // namespace rung
