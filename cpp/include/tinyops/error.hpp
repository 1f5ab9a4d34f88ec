#pragma once
// Host-side errors: exceptions with messages precise enough for a CLI user (file, field, what was expected).
#include <stdexcept>
#include <string>

namespace tinyops {

// Bad user input: a file or value that does not match its contract.
class InputError : public std::runtime_error {
 public:
  InputError(const std::string& source, const std::string& field, const std::string& expected)
      : std::runtime_error(source + ": " + field + ": " + expected), source_(source), field_(field) {}
  const std::string& source() const noexcept { return source_; }
  const std::string& field() const noexcept { return field_; }

 private:
  std::string source_;
  std::string field_;
};

// A request that is well-formed but cannot be satisfied (e.g. no plan fits the SRAM budget).
class PlanningError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace tinyops
