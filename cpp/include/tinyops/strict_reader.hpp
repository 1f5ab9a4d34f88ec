#pragma once
// A strict reader over a parsed document (JSON, or YAML converted to JSON): every accessor knows the key path
// it is at, so an error names the source file, the field and what was expected. Unknown keys are errors.
#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace tinyops {

class StrictReader {
 public:
  StrictReader(const nlohmann::json& doc, std::string source, std::string path = "");

  const std::string& source() const { return source_; }
  const std::string& path() const { return path_; }
  const nlohmann::json& raw() const { return *doc_; }
  // The path of a child key, as errors print it ("memories[1].size_bytes").
  std::string path_of(const std::string& key) const;

  [[noreturn]] void fail(const std::string& expected) const;                          // at this node
  [[noreturn]] void fail(const std::string& key, const std::string& expected) const;  // at a child key

  // This node must be an object whose keys are all in `allowed` (and include all of `required`).
  void expect_keys(std::initializer_list<const char*> required, std::initializer_list<const char*> optional = {}) const;
  bool has(const std::string& key) const;
  StrictReader at(const std::string& key) const;  // missing key: error
  // This node must be a list; its items.
  std::vector<StrictReader> items() const;

  std::string str(const std::string& key) const;
  bool boolean(const std::string& key) const;
  int64_t integer(const std::string& key, int64_t min, int64_t max) const;
  double number(const std::string& key) const;
  // One of `choices`, as its index.
  int choice(const std::string& key, const std::vector<std::string>& choices) const;
  int64_t as_integer(int64_t min, int64_t max) const;  // this node

 private:
  const nlohmann::json* doc_;
  std::string source_;
  std::string path_;
};

std::string join_choices(const std::vector<std::string>& choices);

}  // namespace tinyops
