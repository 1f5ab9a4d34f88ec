#pragma once
// YAML text as a JSON tree (for the StrictReader). Malformed YAML is an InputError naming the line.
#include <string>

#include <nlohmann/json.hpp>

namespace tinyops {

nlohmann::json yaml_text_to_json(const std::string& text, const std::string& source);

}  // namespace tinyops
