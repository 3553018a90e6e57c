// rung/json.hpp: reading JSON files with errors that name the file and the place.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace rung {

using json = nlohmann::json;

// Parse a file; a missing file or bad JSON is an Error such as
// `config.json: parse error at line 3, column 7: syntax error ...`.
json read_json_file(const std::string& path, const std::string& display_name);

} // namespace rung
