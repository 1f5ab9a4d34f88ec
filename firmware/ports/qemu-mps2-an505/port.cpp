// Port for QEMU's mps2-an505 (Cortex-M33, TrustZone). The firmware runs in the Secure state the core
// resets into, with the SAU off (everything the core accesses is Secure); it links into the Secure
// aliases of the SRAMs, so the PL081 (a Secure bus master after reset: its Master Security Controller
// has cfg_nonsec = 0) can reach them. DMA copies are asynchronous: dma_start() programs a PL081
// channel, dma_wait() polls it. Time: the CMSDK dual timer (20 MHz system clock on this image).
#include "../common/cmsdk/dual_timer.hpp"
#include "../common/cortex_m/semihosting.hpp"
#include "../common/qemu/facts.hpp"
#include "pl081.hpp"
#include "tinyops/rt/port.hpp"

// The timer's rate, for the host: tinyops/compiler/_ports.py reads it from the ELF to turn ticks into
// instructions (under -icount shift=0, 1e9 / 20000000 per tick).
extern "C" TINYOPS_PORT_FACT const uint32_t tinyops_timer_hz = 20000000;

namespace tinyops::rt::port {
namespace {
constexpr cmsdk::DualTimer kTimer{0x40002000};
// DMA0 of the four PL081s, at its Non-secure alias (the Secure alias is 0x50110000; a Secure access
// through either passes the peripheral protection controller).
constexpr pl081::Controller kDma{0x40110000};
}  // namespace

void init() {
  kTimer.start_free_running();
  kDma.enable();
}

int dma_streams() { return pl081::kChannels; }

void dma_start(int stream, void* dst, const void* src, uint32_t bytes) {
  if (bytes != 0) kDma.start(stream, dst, src, bytes);
}

void dma_wait(int stream) {
  if (!kDma.wait(stream)) {
    static const char kMessage[] = "\ntinyops: PL081 bus error on a DMA copy\n";
    console_write(kMessage, sizeof(kMessage) - 1);
    exit(4);
  }
}

uint32_t cycles() { return kTimer.elapsed_ticks(); }

const char* cycles_unit() { return "ticks"; }

void console_write(const char* text, size_t length) { semihosting::write(text, length); }

void exit(int code) { semihosting::exit(code); }

}  // namespace tinyops::rt::port
