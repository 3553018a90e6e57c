#include "rung/json.hpp"

#include "rung/error.hpp"
#include "rung/file.hpp"

namespace rung {

json read_json_file(const std::string& path, const std::string& display_name) {
    std::string text;
    try {
        text = read_file(path);
    } catch (Error& e) {
        throw Error(display_name + ": cannot read " + quote(path), e.err());
    }
    try {
        return json::parse(text);
    } catch (const json::parse_error& e) {
        // nlohmann's text is "[json.exception.parse_error.101] parse error at line 1, ...".
        std::string what = e.what();
        auto pos = what.find("] ");
        throw Error(display_name + ": " + (pos == std::string::npos ? what : what.substr(pos + 2)));
    }
}

} // namespace rung
