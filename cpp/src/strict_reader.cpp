#include "tinyops/strict_reader.hpp"

#include <algorithm>

#include "tinyops/error.hpp"

namespace tinyops {

std::string join_choices(const std::vector<std::string>& choices) {
  std::string out;
  for (const auto& c : choices) out += (out.empty() ? "" : ", ") + c;
  return out;
}

StrictReader::StrictReader(const nlohmann::json& doc, std::string source, std::string path)
    : doc_(&doc), source_(std::move(source)), path_(std::move(path)) {}

std::string StrictReader::path_of(const std::string& key) const { return path_.empty() ? key : path_ + "." + key; }

void StrictReader::fail(const std::string& expected) const {
  throw InputError(source_, path_.empty() ? "(top level)" : path_, expected);
}

void StrictReader::fail(const std::string& key, const std::string& expected) const {
  throw InputError(source_, path_of(key), expected);
}

void StrictReader::expect_keys(std::initializer_list<const char*> required,
                               std::initializer_list<const char*> optional) const {
  if (!doc_->is_object()) fail("expected a mapping, got " + doc_->dump());
  std::vector<std::string> allowed(required.begin(), required.end());
  allowed.insert(allowed.end(), optional.begin(), optional.end());
  for (auto it = doc_->begin(); it != doc_->end(); ++it) {
    if (std::find(allowed.begin(), allowed.end(), it.key()) == allowed.end())
      fail(it.key(), "unknown key (expected one of: " + join_choices(allowed) + ")");
  }
  for (const char* key : required) {
    if (!doc_->contains(key)) fail(key, "missing");
  }
}

bool StrictReader::has(const std::string& key) const { return doc_->is_object() && doc_->contains(key); }

StrictReader StrictReader::at(const std::string& key) const {
  if (!doc_->is_object()) fail("expected a mapping, got " + doc_->dump());
  if (!doc_->contains(key)) fail(key, "missing");
  return StrictReader(doc_->at(key), source_, path_of(key));
}

std::vector<StrictReader> StrictReader::items() const {
  if (!doc_->is_array()) fail("expected a list, got " + doc_->dump());
  std::vector<StrictReader> out;
  out.reserve(doc_->size());
  for (size_t i = 0; i < doc_->size(); ++i)
    out.emplace_back((*doc_)[i], source_, path_ + "[" + std::to_string(i) + "]");
  return out;
}

std::string StrictReader::str(const std::string& key) const {
  const auto& v = at(key).raw();
  if (!v.is_string()) fail(key, "expected a string, got " + v.dump());
  return v.get<std::string>();
}

bool StrictReader::boolean(const std::string& key) const {
  const auto& v = at(key).raw();
  if (!v.is_boolean()) fail(key, "expected true or false, got " + v.dump());
  return v.get<bool>();
}

int64_t StrictReader::as_integer(int64_t min, int64_t max) const {
  const auto& v = *doc_;
  bool integral = v.is_number_integer() || (v.is_number_float() && v.get<double>() == double(int64_t(v.get<double>())));
  if (!integral)
    fail("expected an integer in [" + std::to_string(min) + ", " + std::to_string(max) + "], got " + v.dump());
  int64_t x = v.is_number_float() ? int64_t(v.get<double>()) : v.get<int64_t>();
  if (v.is_number_unsigned() && v.get<uint64_t>() > uint64_t(INT64_MAX)) x = INT64_MAX;
  if (x < min || x > max)
    fail("expected an integer in [" + std::to_string(min) + ", " + std::to_string(max) + "], got " + v.dump());
  return x;
}

int64_t StrictReader::integer(const std::string& key, int64_t min, int64_t max) const {
  return at(key).as_integer(min, max);
}

double StrictReader::number(const std::string& key) const {
  const auto& v = at(key).raw();
  if (!v.is_number()) fail(key, "expected a number, got " + v.dump());
  return v.get<double>();
}

int StrictReader::choice(const std::string& key, const std::vector<std::string>& choices) const {
  std::string v = str(key);
  auto it = std::find(choices.begin(), choices.end(), v);
  if (it == choices.end()) fail(key, "expected one of " + join_choices(choices) + ", got \"" + v + "\"");
  return int(it - choices.begin());
}

}  // namespace tinyops
