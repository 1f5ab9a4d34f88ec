#include "fmc_sdram.hpp"

#include "../cortex_m/mmio.hpp"

namespace tinyops::rt::stm32f7::fmc {
namespace {
using mmio::reg32;

constexpr uintptr_t kFmc = 0xA0000000;
constexpr uintptr_t kSdcr1 = kFmc + 0x140;
constexpr uintptr_t kSdtr1 = kFmc + 0x148;
constexpr uintptr_t kSdcmr = kFmc + 0x150;
constexpr uintptr_t kSdrtr = kFmc + 0x154;
constexpr uintptr_t kSdsr = kFmc + 0x158;
constexpr uint32_t kSdsrBusy = 1u << 5;

// SDCR: NC [1:0], NR [3:2], MWID [5:4], NB bit 6 (4 banks), CAS [8:7], WP bit 9, SDCLK [11:10]
// (2 = HCLK/2), RBURST bit 12, RPIPE [14:13].
constexpr uint32_t kSdclkHclkDiv2 = 2u << 10;
constexpr uint32_t kReadBurst = 1u << 12;
constexpr uint32_t kFourBanks = 1u << 6;

// SDCMR: MODE [2:0], CTB1 bit 4 (command to bank 1), NRFS [8:5], MRD [21:9].
enum Command : uint32_t { kClockEnable = 1, kPrechargeAll = 2, kAutoRefresh = 3, kLoadMode = 4 };
constexpr uint32_t kTargetBank1 = 1u << 4;

// Mode register: burst length 1 [2:0] = 0, sequential bit 3 = 0, CAS [6:4], single-location write
// bursts bit 9.
constexpr uint32_t mode_register(uint32_t cas_latency) { return cas_latency << 4 | 1u << 9; }

uint32_t width_code(uint32_t data_bus_bits) { return data_bus_bits == 8 ? 0 : data_bus_bits == 16 ? 1 : 2; }

void command(uint32_t mode, uint32_t auto_refresh_count = 1, uint32_t mode_register_value = 0) {
  mmio::wait_until_clear(kSdsr, kSdsrBusy);
  reg32(kSdcmr) = mode | kTargetBank1 | (auto_refresh_count - 1) << 5 | mode_register_value << 9;
  mmio::wait_until_clear(kSdsr, kSdsrBusy);
}
}  // namespace

void init_sdram_bank1(const SdramConfig& c, void (*delay_100us)()) {
  reg32(kSdcr1) = (c.column_bits - 8) | (c.row_bits - 11) << 2 | width_code(c.data_bus_bits) << 4 | kFourBanks |
                  c.cas_latency << 7 | kSdclkHclkDiv2 | kReadBurst;
  // SDTR fields hold (cycles - 1): TMRD [3:0], TXSR [7:4], TRAS [11:8], TRC [15:12], TWR [19:16],
  // TRP [23:20], TRCD [27:24].
  reg32(kSdtr1) = (c.load_mode_to_active - 1) | (c.exit_self_refresh - 1) << 4 | (c.self_refresh - 1) << 8 |
                  (c.row_cycle - 1) << 12 | (c.write_recovery - 1) << 16 | (c.row_precharge - 1) << 20 |
                  (c.row_to_column - 1) << 24;
  command(kClockEnable);
  delay_100us();
  command(kPrechargeAll);
  command(kAutoRefresh, 8);
  command(kLoadMode, 1, mode_register(c.cas_latency));
  reg32(kSdrtr) = c.refresh_count << 1;
}

}  // namespace tinyops::rt::stm32f7::fmc
