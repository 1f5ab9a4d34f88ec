#pragma once
// STM32F7 system configuration controller (RM0385 §7): FMC bank mapping.
namespace tinyops::rt::stm32f7::syscfg {

// SWP_FMC = 01: SDRAM bank 1 appears at 0x60000000 (Normal, cacheable memory in the Cortex-M7 default
// map) instead of 0xC0000000 (Device memory: no caching, no unaligned access).
void map_sdram_at_0x60000000();

}  // namespace tinyops::rt::stm32f7::syscfg
