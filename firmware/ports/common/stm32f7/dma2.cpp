#include "dma2.hpp"

#include "../cortex_m/mmio.hpp"
#include "rcc.hpp"

namespace tinyops::rt::stm32f7::dma2 {
namespace {
using mmio::reg32;

constexpr uintptr_t kDma2 = 0x40026400;
constexpr uintptr_t kLisr = kDma2 + 0x00;  // flags of streams 0-3
constexpr uintptr_t kLifcr = kDma2 + 0x08;
constexpr uintptr_t stream_base(int stream) { return kDma2 + 0x10 + 0x18 * static_cast<uintptr_t>(stream); }
constexpr uintptr_t kCr = 0x00, kNdtr = 0x04, kPar = 0x08, kM0ar = 0x0C, kFcr = 0x14;

// Flags of streams 0..3 in LISR/LIFCR start at bits 0, 6, 16, 22: FEIF +0, DMEIF +2, TEIF +3, HTIF +4,
// TCIF +5.
constexpr uint32_t flag_shift(int stream) { return stream == 0 ? 0 : stream == 1 ? 6 : stream == 2 ? 16 : 22; }
constexpr uint32_t kAllFlags = 0x3D;
constexpr uint32_t kTransferError = 1u << 3;

// SxCR: EN bit 0, DIR [7:6] = 10 (memory to memory), PINC bit 9, MINC bit 10, PSIZE [12:11],
// MSIZE [14:13], PL [17:16] = 10 (high). Channel 0, single transfers (no bursts: no 1 KB boundary rule).
constexpr uint32_t kCrEnable = 1u << 0;
constexpr uint32_t kCrMemoryToMemory = 2u << 6 | 1u << 9 | 1u << 10 | 2u << 16;
constexpr uint32_t sizes(uint32_t log2_width) { return log2_width << 11 | log2_width << 13; }
// SxFCR: direct mode off (DMDIS, required for memory to memory), FIFO threshold full.
constexpr uint32_t kFcrFifo = 1u << 2 | 3u << 0;
constexpr uint32_t kMaxItems = 65535;

struct Pending {
  uint32_t src, dst, bytes, log2_width;
};
Pending pending[kStreams];
bool failed[kStreams];  // an error found while finishing a copy in start(), reported by the next wait()

void start_chunk(int stream) {
  Pending& p = pending[stream];
  const uint32_t items = (p.bytes >> p.log2_width) < kMaxItems ? (p.bytes >> p.log2_width) : kMaxItems;
  const uintptr_t s = stream_base(stream);
  reg32(kLifcr) = kAllFlags << flag_shift(stream);
  reg32(s + kPar) = p.src;
  reg32(s + kM0ar) = p.dst;
  reg32(s + kNdtr) = items;
  reg32(s + kFcr) = kFcrFifo;
  reg32(s + kCr) = kCrMemoryToMemory | sizes(p.log2_width);
  reg32(s + kCr) |= kCrEnable;
  const uint32_t chunk_bytes = items << p.log2_width;
  p.src += chunk_bytes;
  p.dst += chunk_bytes;
  p.bytes -= chunk_bytes;
}
}  // namespace

void init() {
  rcc::enable_dma2();
  for (int stream = 0; stream < kStreams; ++stream) {
    reg32(stream_base(stream) + kCr) = 0;
    mmio::wait_until_clear(stream_base(stream) + kCr, kCrEnable);
  }
}

void start(int stream, void* dst, const void* src, uint32_t bytes) {
  // A stream holds one copy at a time: finish the previous one (all its chunks) first.
  if (!wait(stream)) failed[stream] = true;
  const uint32_t s = reinterpret_cast<uint32_t>(src), d = reinterpret_cast<uint32_t>(dst);
  const uint32_t alignment = s | d | bytes;
  const uint32_t log2_width = (alignment & 3) == 0 ? 2 : (alignment & 1) == 0 ? 1 : 0;
  pending[stream] = {s, d, bytes, log2_width};
  if (bytes != 0) start_chunk(stream);
}

bool wait(int stream) {
  const uintptr_t cr = stream_base(stream) + kCr;
  const uint32_t shift = flag_shift(stream);
  for (;;) {
    mmio::wait_until_clear(cr, kCrEnable);  // the stream clears EN itself when its chunk ends or fails
    const uint32_t flags = reg32(kLisr) >> shift;
    reg32(kLifcr) = kAllFlags << shift;
    if ((flags & kTransferError) != 0) {
      pending[stream].bytes = 0;
      failed[stream] = false;
      return false;
    }
    if (pending[stream].bytes == 0) {
      const bool ok = !failed[stream];
      failed[stream] = false;
      return ok;
    }
    start_chunk(stream);
  }
}

}  // namespace tinyops::rt::stm32f7::dma2
