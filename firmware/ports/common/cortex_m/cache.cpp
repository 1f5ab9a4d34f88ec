#include "cache.hpp"

#include "mmio.hpp"

namespace tinyops::rt::cache {
namespace {
using mmio::reg32;

constexpr uintptr_t kCcr = 0xE000ED14;
constexpr uint32_t kCcrDataCache = 1u << 16;
constexpr uint32_t kCcrInstructionCache = 1u << 17;
constexpr uintptr_t kCcsidr = 0xE000ED80;  // geometry of the cache CSSELR selects
constexpr uintptr_t kCsselr = 0xE000ED84;
constexpr uintptr_t kIcialLu = 0xE000EF50;   // invalidate all instruction cache
constexpr uintptr_t kDcimvac = 0xE000EF5C;   // invalidate data line by address
constexpr uintptr_t kDcisw = 0xE000EF60;     // invalidate data line by set/way
constexpr uintptr_t kDccmvac = 0xE000EF68;   // clean data line by address
constexpr uintptr_t kDccimvac = 0xE000EF70;  // clean and invalidate data line by address

template <typename Operation>
void for_each_line(const void* address, uint32_t bytes, Operation operation) {
  if (bytes == 0 || !data_cache_enabled()) return;
  const uint32_t start = reinterpret_cast<uint32_t>(address);
  const uint32_t end = start + bytes;
  mmio::dsb();
  for (uint32_t line = start & ~(kLineBytes - 1); line < end; line += kLineBytes) operation(line, start, end);
  mmio::dsb();
  mmio::isb();
}
}  // namespace

void enable_instruction_cache() {
  mmio::dsb();
  mmio::isb();
  reg32(kIcialLu) = 0;
  mmio::dsb();
  mmio::isb();
  reg32(kCcr) |= kCcrInstructionCache;
  mmio::dsb();
  mmio::isb();
}

void enable_data_cache() {
  reg32(kCsselr) = 0;  // level 1 data cache
  mmio::dsb();
  const uint32_t ccsidr = reg32(kCcsidr);
  const uint32_t sets = ((ccsidr >> 13) & 0x7FFF) + 1;
  const uint32_t ways = ((ccsidr >> 3) & 0x3FF) + 1;
  for (uint32_t set = 0; set < sets; ++set) {
    for (uint32_t way = 0; way < ways; ++way) reg32(kDcisw) = (set << 5) | (way << 30);
  }
  mmio::dsb();
  reg32(kCcr) |= kCcrDataCache;
  mmio::dsb();
  mmio::isb();
}

bool data_cache_enabled() { return (reg32(kCcr) & kCcrDataCache) != 0; }

void clean_data(const void* address, uint32_t bytes) {
  for_each_line(address, bytes, [](uint32_t line, uint32_t, uint32_t) { reg32(kDccmvac) = line; });
}

void invalidate_data(const void* address, uint32_t bytes) {
  for_each_line(address, bytes, [](uint32_t line, uint32_t start, uint32_t end) {
    const bool whole_line = line >= start && line + kLineBytes <= end;
    reg32(whole_line ? kDcimvac : kDccimvac) = line;
  });
}

void clean_invalidate_data(const void* address, uint32_t bytes) {
  for_each_line(address, bytes, [](uint32_t line, uint32_t, uint32_t) { reg32(kDccimvac) = line; });
}

}  // namespace tinyops::rt::cache
