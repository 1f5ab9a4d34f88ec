#pragma once
// Memory-mapped register access for the register-level ports: one volatile 32-bit word at an address.
#include <stdint.h>

namespace tinyops::rt::mmio {

inline volatile uint32_t& reg32(uintptr_t address) { return *reinterpret_cast<volatile uint32_t*>(address); }

// Read-modify-write of the bits in `mask`.
inline void modify(uintptr_t address, uint32_t mask, uint32_t value) {
  reg32(address) = (reg32(address) & ~mask) | (value & mask);
}

inline void wait_until_set(uintptr_t address, uint32_t mask) {
  while ((reg32(address) & mask) != mask) {
  }
}

inline void wait_until_clear(uintptr_t address, uint32_t mask) {
  while ((reg32(address) & mask) != 0) {
  }
}

// Barriers after configuration writes that later instructions depend on (cache, FPU, MPU, memory remap).
inline void dsb() { __asm__ volatile("dsb 0xF" ::: "memory"); }
inline void isb() { __asm__ volatile("isb 0xF" ::: "memory"); }

}  // namespace tinyops::rt::mmio
