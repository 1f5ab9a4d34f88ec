// The port for STM32F7 boards with SDRAM on the FMC (stm32f746g-disco, stm32f769i-disco): 216 MHz,
// SDRAM mapped at 0x60000000 as external memory, I- and D-cache on, DMA2 streams 0/1 for the overlay
// copies with D-cache maintenance around them, DWT cycle counter, USART1 console (the ST-LINK virtual COM
// port, 115200 8N1). The board's wiring comes from kBoard (board.cpp in the board's directory).
#include "../cortex_m/cache.hpp"
#include "../cortex_m/dwt.hpp"
#include "../cortex_m/semihosting.hpp"
#include "board.hpp"
#include "dma2.hpp"
#include "fmc_sdram.hpp"
#include "rcc.hpp"
#include "syscfg.hpp"
#include "tinyops/rt/port.hpp"
#include "usart.hpp"

namespace tinyops::rt::port {
namespace {
using namespace tinyops::rt::stm32f7;

constexpr uint32_t kAfUsart1 = 7;
constexpr uint32_t kAfFmc = 12;
constexpr uint32_t kConsoleBaud = 115200;

void delay_100us() {
  const uint32_t start = dwt::cycle_count();
  while (dwt::cycle_count() - start < rcc::kSystemClockHz / 10000) {
  }
}
}  // namespace

void init() {
  rcc::set_system_clock_216mhz();
  dwt::enable_cycle_counter();

  gpio::set_alternate_function(kBoard.console_tx, kAfUsart1);
  rcc::enable_usart1();
  usart1::init(rcc::kApb2ClockHz, kConsoleBaud);

  for (const auto& group : kBoard.sdram_pins) {
    if (group.pins != 0) gpio::set_alternate_function(group, kAfFmc);
  }
  rcc::enable_fmc();
  fmc::init_sdram_bank1(kBoard.sdram, delay_100us);
  syscfg::map_sdram_at_0x60000000();

  cache::enable_instruction_cache();
  cache::enable_data_cache();
  dma2::init();
}

int dma_streams() { return dma2::kStreams; }

namespace {
// Destination of each stream's last copy: invalidated again once it has landed, since the core may
// have speculatively refilled lines of it meanwhile.
struct Destination {
  void* address;
  uint32_t bytes;
};
Destination last_destination[dma2::kStreams];
}  // namespace

// The DMA reads memory, not the D-cache: the source is cleaned so the CPU's writes are there, and the
// destination cleaned+invalidated so no dirty line is evicted over the copy later.
void dma_start(int stream, void* dst, const void* src, uint32_t bytes) {
  cache::clean_data(src, bytes);
  cache::clean_invalidate_data(dst, bytes);
  last_destination[stream] = {dst, bytes};
  dma2::start(stream, dst, src, bytes);
}

void dma_wait(int stream) {
  if (!dma2::wait(stream)) {
    static const char kMessage[] = "\ntinyops: DMA2 transfer error\n";
    console_write(kMessage, sizeof(kMessage) - 1);
    exit(4);
  }
  cache::invalidate_data(last_destination[stream].address, last_destination[stream].bytes);
}

uint32_t cycles() { return dwt::cycle_count(); }

const char* cycles_unit() { return "cycles"; }

void console_write(const char* text, size_t length) { usart1::write(text, length); }

// With a debug probe attached (pyOCD), the exit status goes to the host by semihosting; otherwise the
// board reports it on the console and sleeps.
void exit(int code) {
  char line[] = "tinyops: exit -0000000000\n";
  char* digits_end = line + sizeof(line) - 2;
  char* at = digits_end;
  uint32_t magnitude = code < 0 ? 0u - static_cast<uint32_t>(code) : static_cast<uint32_t>(code);
  do {
    *--at = static_cast<char>('0' + magnitude % 10);
    magnitude /= 10;
  } while (magnitude != 0);
  if (code < 0) *--at = '-';
  static const char kPrefix[] = "tinyops: exit ";
  console_write(kPrefix, sizeof(kPrefix) - 1);
  console_write(at, static_cast<size_t>(digits_end - at) + 1);
  usart1::flush();
  if (dwt::debugger_attached()) semihosting::exit(code);
  for (;;) __asm__ volatile("wfi");
}

}  // namespace tinyops::rt::port
