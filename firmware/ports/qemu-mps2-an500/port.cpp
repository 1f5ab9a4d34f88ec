// Port for QEMU's mps2-an500 (Cortex-M7). No DMA engine on this machine: copies complete synchronously
// inside dma_start(). Time: the CMSDK dual timer at the 25 MHz system clock (under -icount shift=0 QEMU
// runs one instruction per virtual nanosecond, so one tick is 40 instructions).
#include "../common/cmsdk/dual_timer.hpp"
#include "../common/cortex_m/block_copy.hpp"
#include "../common/cortex_m/semihosting.hpp"
#include "../common/qemu/facts.hpp"
#include "tinyops/rt/port.hpp"

// The timer's rate, for the host: tinyops/compiler/_ports.py reads it from the ELF to turn ticks into
// instructions (under -icount shift=0, 1e9 / 25000000 per tick).
extern "C" TINYOPS_PORT_FACT const uint32_t tinyops_timer_hz = 25000000;

namespace tinyops::rt::port {
namespace {
constexpr cmsdk::DualTimer kTimer{0x40002000};
// Two logical streams, so the executor runs the same ping-pong schedule as on boards with a DMA engine.
constexpr int kStreams = 2;
}  // namespace

void init() { kTimer.start_free_running(); }

int dma_streams() { return kStreams; }

void dma_start(int /*stream*/, void* dst, const void* src, uint32_t bytes) { cortex_m::block_copy(dst, src, bytes); }

void dma_wait(int /*stream*/) {}

uint32_t cycles() { return kTimer.elapsed_ticks(); }

const char* cycles_unit() { return "ticks"; }

void console_write(const char* text, size_t length) { semihosting::write(text, length); }

void exit(int code) { semihosting::exit(code); }

}  // namespace tinyops::rt::port
