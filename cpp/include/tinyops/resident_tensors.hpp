#pragma once
// Activations kept resident in SRAM (the `optimal` planner's residency choice, DESIGN.md strategy 4): a small
// arena of its own in the SRAM the overlay buffers leave free under the budget. Ops read a resident input and
// write a resident output in place, so its copies into the overlay buffers and its external-memory writes go.
//
// Tensors are admitted one at a time (the planner ranks them by simulated gain) and placed first fit: at the
// lowest aligned offset that overlaps no admitted tensor alive at the same time, so, as in the external arena,
// a tensor's bytes are reused after its last use.
#include <cstdint>
#include <vector>

#include "tinyops/memory_planner.hpp"
#include "tinyops/network.hpp"
#include "tinyops/plan.hpp"

namespace tinyops {

// Name of the resident arena's buffer (kind Arena) in Plan::buffers.
inline constexpr const char* kResidentArenaBuffer = "resident";

class ResidentTensors {
 public:
  // Room for `capacity_bytes` of resident tensors (a negative capacity admits nothing).
  ResidentTensors(const Network& net, int64_t capacity_bytes);

  // Places `tensor` if it fits beside the admitted tensors whose lifetimes overlap its own; false (nothing
  // changes) if it does not fit or is resident already.
  bool admit(int tensor);
  void clear();

  bool empty() const { return admitted_.empty(); }
  bool contains(int tensor) const { return offsets_[size_t(tensor)] >= 0; }
  const std::vector<int>& tensors() const { return admitted_; }  // in admission order
  int64_t bytes() const { return bytes_; }                       // the arena's extent
  int64_t capacity_bytes() const { return capacity_; }
  // The ops during which `tensor` holds its bytes.
  const Lifetime& lifetime(int tensor) const { return life_[size_t(tensor)]; }

  // Homes the resident tensors of `plan` in plan memory `memory` from offset `base`.
  void home(Plan& plan, int memory, int64_t base) const;
  // The same, and the arena as a buffer (kind Arena) so that peak_sram_bytes() and the firmware count it.
  void place(Plan& plan, int memory, int64_t base) const;

 private:
  std::vector<Lifetime> life_;
  std::vector<int64_t> sizes_;    // per tensor, aligned
  std::vector<int64_t> offsets_;  // per tensor, -1: not resident
  std::vector<int> admitted_;
  int64_t capacity_ = 0;
  int64_t bytes_ = 0;
  std::vector<std::pair<int64_t, int64_t>> busy_;  // admit()'s scratch
};

}  // namespace tinyops
