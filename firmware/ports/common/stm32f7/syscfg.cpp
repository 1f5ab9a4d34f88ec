#include "syscfg.hpp"

#include "../cortex_m/mmio.hpp"
#include "rcc.hpp"

namespace tinyops::rt::stm32f7::syscfg {
namespace {
constexpr uintptr_t kMemrmp = 0x40013800;
constexpr uint32_t kSwpFmcMask = 3u << 10;
constexpr uint32_t kSwpFmcSdramAt0x60000000 = 1u << 10;
}  // namespace

void map_sdram_at_0x60000000() {
  rcc::enable_syscfg();
  mmio::modify(kMemrmp, kSwpFmcMask, kSwpFmcSdramAt0x60000000);
  mmio::dsb();
  mmio::isb();
}

}  // namespace tinyops::rt::stm32f7::syscfg
