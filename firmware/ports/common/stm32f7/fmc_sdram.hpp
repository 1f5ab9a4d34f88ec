#pragma once
// STM32F7 flexible memory controller, SDRAM bank 1 (RM0385 §13.7): controller set-up and the JEDEC
// power-up sequence (clock enable, precharge all, auto-refresh, load mode register, refresh timer).
#include <stdint.h>

namespace tinyops::rt::stm32f7::fmc {

struct SdramConfig {
  uint32_t column_bits;    // 8 .. 11
  uint32_t row_bits;       // 11 .. 13
  uint32_t data_bus_bits;  // 8, 16 or 32 (the board's wiring)
  uint32_t cas_latency;    // 1 .. 3 SDCLK cycles
  // Timings in SDCLK cycles (SDCLK = HCLK / 2 = 108 MHz, 9.26 ns), from the SDRAM's data sheet.
  uint32_t load_mode_to_active;  // tMRD
  uint32_t exit_self_refresh;    // tXSR
  uint32_t self_refresh;         // tRAS (minimum self-refresh period)
  uint32_t row_cycle;            // tRC
  uint32_t write_recovery;       // tWR
  uint32_t row_precharge;        // tRP
  uint32_t row_to_column;        // tRCD
  uint32_t refresh_count;        // SDRTR COUNT: (refresh period / rows) * SDCLK - 20
};

// Configures bank 1 and runs the power-up sequence; `delay_100us` must wait at least 100 us with the
// SDRAM clock running (the JEDEC power-up delay).
void init_sdram_bank1(const SdramConfig& config, void (*delay_100us)());

}  // namespace tinyops::rt::stm32f7::fmc
