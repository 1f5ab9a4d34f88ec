#include "pl081.hpp"

#include "../common/cortex_m/mmio.hpp"

namespace tinyops::rt::pl081 {
namespace {
using mmio::reg32;

// Controller registers.
constexpr uintptr_t kIntTcClear = 0x008;
constexpr uintptr_t kIntErrorClear = 0x010;
constexpr uintptr_t kRawIntErrorStatus = 0x018;
constexpr uintptr_t kEnabledChannels = 0x01C;
constexpr uintptr_t kConfiguration = 0x030;
constexpr uint32_t kConfigurationEnable = 1u << 0;  // little-endian masters (M1 = M2 = 0)

// Channel registers, at 0x100 + 0x20 * channel.
constexpr uintptr_t channel_base(int channel) { return 0x100 + 0x20 * static_cast<uintptr_t>(channel); }
constexpr uintptr_t kSource = 0x00;
constexpr uintptr_t kDestination = 0x04;
constexpr uintptr_t kLli = 0x08;
constexpr uintptr_t kControl = 0x0C;
constexpr uintptr_t kChannelConfiguration = 0x10;

// Channel control: transfer size [11:0], burst sizes [17:12], widths [23:18], masters 24/25,
// increments 26/27, protection [30:28].
constexpr uint32_t kMaxTransfers = 4095;
constexpr uint32_t kBurst4 = 1u << 12 | 1u << 15;
constexpr uint32_t width_bits(uint32_t log2_width) { return log2_width << 18 | log2_width << 21; }
constexpr uint32_t kSourceIncrement = 1u << 26;
constexpr uint32_t kDestinationIncrement = 1u << 27;
constexpr uint32_t kPrivileged = 1u << 28;
// Channel configuration: enable, flow control 000 (memory to memory, DMA controlled).
constexpr uint32_t kChannelEnable = 1u << 0;

// Each channel's linked list lives in the driver; a copy needing more items runs in several batches.
constexpr int kItemsPerChannel = 64;
alignas(16) LinkedListItem items[kChannels][kItemsPerChannel];
bool failed[kChannels];  // an error found while finishing a copy in start(), reported by the next wait()

// Splits [src, src+bytes) into runs of one transfer width each: bytes up to a common word boundary,
// the largest width the two addresses' alignment allows, the remaining bytes.
struct Run {
  uint32_t src, dst, transfers, log2_width;
};

uint32_t widest_log2(uint32_t src, uint32_t dst) {
  const uint32_t misalignment = (src ^ dst) & 3;
  return misalignment == 0 ? 2 : (misalignment & 1) == 0 ? 1 : 0;
}

}  // namespace

void Controller::enable() const {
  reg32(base_ + kConfiguration) = kConfigurationEnable;
  reg32(base_ + kIntTcClear) = 0xFF;
  reg32(base_ + kIntErrorClear) = 0xFF;
}

void Controller::start_items(int channel, const LinkedListItem* first) const {
  const uintptr_t ch = base_ + channel_base(channel);
  reg32(base_ + kIntErrorClear) = 1u << channel;
  reg32(ch + kSource) = first->source;
  reg32(ch + kDestination) = first->destination;
  reg32(ch + kLli) = first->next;
  reg32(ch + kControl) = first->control;
  mmio::dsb();  // the list in memory is complete before the controller may fetch it
  reg32(ch + kChannelConfiguration) = kChannelEnable;
}

void Controller::start(int channel, void* dst, const void* src, uint32_t bytes) const {
  // The channel's linked list is about to be rewritten: its previous copy must be done.
  if (!wait(channel)) failed[channel] = true;
  uint32_t s = reinterpret_cast<uint32_t>(src);
  uint32_t d = reinterpret_cast<uint32_t>(dst);
  const uint32_t log2_width = widest_log2(s, d);
  const uint32_t width = 1u << log2_width;
  LinkedListItem* list = items[channel];
  int count = 0;

  auto flush = [&](bool last) {
    for (int i = 0; i + 1 < count; ++i) list[i].next = reinterpret_cast<uint32_t>(&list[i + 1]);
    list[count - 1].next = 0;
    start_items(channel, &list[0]);
    if (!last && !wait(channel)) failed[channel] = true;  // list full: the batch lands before reuse
    count = 0;
  };
  auto append = [&](uint32_t transfers, uint32_t log2) {
    if (count == kItemsPerChannel) flush(false);
    list[count++] = {s, d, 0,
                     transfers | kBurst4 | width_bits(log2) | kSourceIncrement | kDestinationIncrement | kPrivileged};
    s += transfers << log2;
    d += transfers << log2;
  };

  // Head bytes up to the width boundary, the wide body, tail bytes.
  uint32_t remaining = bytes;
  uint32_t head = (width - (s & (width - 1))) & (width - 1);
  if (head > remaining) head = remaining;
  if (head != 0) append(head, 0);
  remaining -= head;
  uint32_t body = remaining >> log2_width;
  while (body != 0) {
    const uint32_t transfers = body < kMaxTransfers ? body : kMaxTransfers;
    append(transfers, log2_width);
    body -= transfers;
  }
  const uint32_t tail = remaining & (width - 1);
  if (tail != 0) append(tail, 0);
  if (count != 0) flush(true);
}

bool Controller::busy(int channel) const { return (reg32(base_ + kEnabledChannels) & (1u << channel)) != 0; }

bool Controller::wait(int channel) const {
  while (busy(channel)) {
  }
  const bool ok = !failed[channel] && (reg32(base_ + kRawIntErrorStatus) & (1u << channel)) == 0;
  failed[channel] = false;
  return ok;
}

}  // namespace tinyops::rt::pl081
