#pragma once
// The DWT cycle counter (Armv7-M ARM C1.8): CPU clock cycles, 32-bit, wrapping.
#include <stdint.h>

namespace tinyops::rt::dwt {

void enable_cycle_counter();  // TRCENA, unlock (Cortex-M7 LAR), reset, enable
uint32_t cycle_count();
// True while a debugger has the core in debug mode (DHCSR.C_DEBUGEN): semihosting calls are served.
bool debugger_attached();

}  // namespace tinyops::rt::dwt
