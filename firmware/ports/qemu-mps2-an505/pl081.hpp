#pragma once
// Arm PrimeCell PL081 DMA controller (PL080/PL081 TRM, DDI 0218): two channels, memory-to-memory copies
// described by linked lists (LLIs) of at most 4095 transfers each. start() programs a channel and
// returns at once; busy()/wait() poll the channel's enable bit, which the controller clears when the
// last LLI has completed.
#include <stdint.h>

namespace tinyops::rt::pl081 {

inline constexpr int kChannels = 2;

// One LLI as the controller reads it from memory (word aligned).
struct LinkedListItem {
  uint32_t source;
  uint32_t destination;
  uint32_t next;  // address of the next item | AHB master bit; 0 ends the list
  uint32_t control;
};

class Controller {
 public:
  explicit constexpr Controller(uintptr_t base) : base_(base) {}

  void enable() const;
  // Copies `bytes` from src to dst on `channel` (0 or 1), asynchronously; waits first for the channel's
  // previous copy, if any, to complete.
  void start(int channel, void* dst, const void* src, uint32_t bytes) const;
  bool busy(int channel) const;
  // Returns once the channel is idle; false if the controller flagged a bus error on it.
  bool wait(int channel) const;

 private:
  void start_items(int channel, const LinkedListItem* first) const;
  uintptr_t base_;
};

}  // namespace tinyops::rt::pl081
