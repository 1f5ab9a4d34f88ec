// YAML text -> nlohmann::json tree, so boards are checked by the same StrictReader as JSON documents.
// Plain scalars become booleans, integers (decimal or 0x hex), floats or strings; quoted scalars stay strings.
#include "tinyops/yaml_document.hpp"

#include <yaml-cpp/yaml.h>

#include <cstdlib>

#include "tinyops/error.hpp"

namespace tinyops {
namespace {

nlohmann::json scalar_to_json(const YAML::Node& node) {
  const std::string& text = node.Scalar();
  if (node.Tag() == "!") return text;  // quoted: always a string
  if (text == "true" || text == "True") return true;
  if (text == "false" || text == "False") return false;
  if (text.empty() || text == "~" || text == "null") return nullptr;
  const char* begin = text.c_str();
  char* end = nullptr;
  bool hex = text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X');
  bool negative = text[0] == '-';
  errno = 0;
  if (negative) {
    long long v = std::strtoll(begin, &end, hex ? 16 : 10);
    if (errno == 0 && end && *end == '\0') return int64_t(v);
  } else {
    unsigned long long v = std::strtoull(begin, &end, hex ? 16 : 10);
    if (errno == 0 && end && *end == '\0' && v <= uint64_t(INT64_MAX)) return int64_t(v);
  }
  errno = 0;
  double d = std::strtod(begin, &end);
  if (errno == 0 && end && *end == '\0') return d;
  return text;
}

nlohmann::json to_json(const YAML::Node& node, const std::string& source) {
  switch (node.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined: return nullptr;
    case YAML::NodeType::Scalar: return scalar_to_json(node);
    case YAML::NodeType::Sequence: {
      nlohmann::json out = nlohmann::json::array();
      for (const auto& item : node) out.push_back(to_json(item, source));
      return out;
    }
    case YAML::NodeType::Map: {
      nlohmann::json out = nlohmann::json::object();
      for (const auto& kv : node) {
        std::string key = kv.first.Scalar();
        if (out.contains(key))
          throw InputError(source, key, "duplicate key (line " + std::to_string(kv.first.Mark().line + 1) + ")");
        out[key] = to_json(kv.second, source);
      }
      return out;
    }
  }
  return nullptr;
}

}  // namespace

nlohmann::json yaml_text_to_json(const std::string& text, const std::string& source) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw InputError(source, "(file)",
                     "expected valid YAML: " + e.msg + " at line " + std::to_string(e.mark.line + 1) + ", column " +
                         std::to_string(e.mark.column + 1));
  }
  return to_json(root, source);
}

}  // namespace tinyops
