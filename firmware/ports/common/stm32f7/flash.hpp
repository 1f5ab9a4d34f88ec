#pragma once
// STM32F7 embedded flash interface (RM0385 §3): read latency and the ART accelerator.
#include <stdint.h>

namespace tinyops::rt::stm32f7::flash {

// Sets LATENCY (and waits until the new value reads back, as the RM requires before raising HCLK),
// with prefetch and the ART accelerator on.
void set_wait_states(uint32_t wait_states);

}  // namespace tinyops::rt::stm32f7::flash
