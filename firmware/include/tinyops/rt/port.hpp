#pragma once
// The platform seam: everything board-specific the runtime needs, resolved at link time by exactly one
// `firmware/ports/<port>/` directory. The core (loader, kernels, executor) never touches a register.
#include <stddef.h>
#include <stdint.h>

// Placement of the static arenas; each port's linker script maps these sections to its memories.
#define TINYOPS_EXTERNAL __attribute__((section(".tinyops.external"), aligned(32)))  // SDRAM / PSRAM
#define TINYOPS_INTERNAL __attribute__((section(".tinyops.internal"), aligned(32)))  // fast SRAM

namespace tinyops::rt::port {

// Clocks, external-memory controller, caches, cycle counter, console. Called once before anything else.
void init();

// Memory-to-memory copy on DMA stream `stream` (0 .. dma_streams()-1). Ports without a DMA engine copy
// synchronously. On cached cores the port cleans/invalidates the D-cache lines it needs to.
int dma_streams();
void dma_start(int stream, void* dst, const void* src, uint32_t bytes);
void dma_wait(int stream);  // returns once the stream's last copy has landed

// A free-running counter in CPU cycles (DWT CYCCNT), or the port's best equivalent (see cycles_unit()).
uint32_t cycles();
const char* cycles_unit();  // "cycles", or e.g. "ticks" where the port has no cycle counter

void console_write(const char* text, size_t length);
[[noreturn]] void exit(int code);

}  // namespace tinyops::rt::port
