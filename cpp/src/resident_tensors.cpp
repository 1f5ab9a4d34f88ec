#include "tinyops/resident_tensors.hpp"

#include <algorithm>

namespace tinyops {

ResidentTensors::ResidentTensors(const Network& net, int64_t capacity_bytes) : capacity_(capacity_bytes) {
  life_.reserve(net.tensors().size());
  sizes_.reserve(net.tensors().size());
  for (const Tensor& t : net.tensors()) {
    life_.push_back(tensor_lifetime(net, t));
    sizes_.push_back(align_to(t.shape.bytes(), kArenaAlignment));
  }
  offsets_.assign(net.tensors().size(), -1);
}

bool ResidentTensors::admit(int tensor) {
  const size_t t = size_t(tensor);
  if (offsets_.at(t) >= 0 || sizes_[t] > capacity_) return false;
  busy_.clear();
  for (int other : admitted_)
    if (life_[size_t(other)].overlaps(life_[t]))
      busy_.emplace_back(offsets_[size_t(other)], offsets_[size_t(other)] + sizes_[size_t(other)]);
  std::sort(busy_.begin(), busy_.end());
  int64_t offset = 0;
  for (const auto& [begin, end] : busy_) {
    if (offset + sizes_[t] <= begin) break;  // fits in the gap before this one
    offset = std::max(offset, end);
  }
  if (offset + sizes_[t] > capacity_) return false;
  offsets_[t] = offset;
  admitted_.push_back(tensor);
  bytes_ = std::max(bytes_, offset + sizes_[t]);
  return true;
}

void ResidentTensors::clear() {
  for (int t : admitted_) offsets_[size_t(t)] = -1;
  admitted_.clear();
  bytes_ = 0;
}

void ResidentTensors::home(Plan& plan, int memory, int64_t base) const {
  for (int t : admitted_) {
    Region& r = plan.tensor_home.at(size_t(t));
    r = Region{memory, base + offsets_[size_t(t)], r.bytes};
  }
}

void ResidentTensors::place(Plan& plan, int memory, int64_t base) const {
  if (admitted_.empty()) return;
  home(plan, memory, base);
  plan.add_buffer(kResidentArenaBuffer, BufferKind::Arena, Region{memory, base, bytes_});
}

}  // namespace tinyops
