#pragma once
// Cortex-M7 L1 cache control through the SCB (Armv7-M ARM B3.2 "cache maintenance operations").
// DMA-visible buffers go through clean (CPU writes reach memory before the DMA reads them) and
// invalidate (the CPU rereads what the DMA wrote) by address range.
#include <stdint.h>

namespace tinyops::rt::cache {

inline constexpr uint32_t kLineBytes = 32;  // Cortex-M7 L1 line size

void enable_instruction_cache();
void enable_data_cache();  // invalidates every line by set/way first, as the TRM requires
bool data_cache_enabled();

void clean_data(const void* address, uint32_t bytes);
// Invalidates lines wholly inside the range; lines shared with neighbouring data at either end are
// cleaned and invalidated instead, so the neighbours' CPU writes survive (DMA buffers should be aligned
// to kLineBytes; the runtime's overlays are).
void invalidate_data(const void* address, uint32_t bytes);
void clean_invalidate_data(const void* address, uint32_t bytes);

}  // namespace tinyops::rt::cache
