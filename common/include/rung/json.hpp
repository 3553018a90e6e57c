// rung/json.hpp: reading JSON files with errors that name the file and the place.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace rung {

using json = nlohmann::json;

// How deep arrays and objects may nest in a file read_json_file() reads. An OCI config nests
// about six levels; the limit keeps a hostile one from exhausting the stack.
inline constexpr size_t kMaxJsonDepth = 1000;

// Parse a file of untrusted JSON; every problem is one Error line that names the file:
//   config.json: cannot read "/b/config.json": a FIFO, not a regular file   (read_regular_file:
//                regular files of at most kMaxFileSize only)
//   config.json: parse error at line 3, column 7: syntax error ...
//   config.json: nested deeper than 1000 levels
//   config.json: .process.args[1]: a string holds a NUL byte
json read_json_file(const std::string& path, const std::string& display_name);
// The same checks for JSON text from elsewhere (standard input, for `update -r -`).
json parse_json(const std::string& text, const std::string& display_name);

} // namespace rung
