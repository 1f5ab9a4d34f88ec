#pragma once
// The Micron MT48LC4M32B2B5-6A SDRAM both STM32F7 Discovery boards carry (4 banks x 4096 rows x 256
// columns x 32 bits), at SDCLK = HCLK/2 = 108 MHz (9.26 ns): tMRD 2 tCK, tXSR 70 ns, tRAS 42 ns,
// tRC 60 ns, tWR 2 tCK, tRP 18 ns, tRCD 18 ns (data sheet), rounded up to clock cycles; 4096 rows
// refreshed every 64 ms. What differs per board is how many data lines are wired, and the CAS latency
// chosen.
#include <stdint.h>

#include "fmc_sdram.hpp"

namespace tinyops::rt::stm32f7 {

constexpr fmc::SdramConfig mt48lc4m32b2_at_108mhz(uint32_t data_bus_bits, uint32_t cas_latency) {
  return {
      .column_bits = 8,
      .row_bits = 12,
      .data_bus_bits = data_bus_bits,
      .cas_latency = cas_latency,
      .load_mode_to_active = 2,
      .exit_self_refresh = 8,
      .self_refresh = 5,
      .row_cycle = 7,
      .write_recovery = 2,
      .row_precharge = 2,
      .row_to_column = 2,
      .refresh_count = 1667,  // 64 ms / 4096 rows * 108 MHz - 20
  };
}

}  // namespace tinyops::rt::stm32f7
