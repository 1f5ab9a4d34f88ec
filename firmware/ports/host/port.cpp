// The host port: the runtime on a PC, for the firmware tests and the Python bindings. DMA is a memcpy
// done at start (so a copy has always landed by dma_wait), time is a steady clock in nanoseconds.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "tinyops/rt/port.hpp"

namespace tinyops::rt::port {

void init() {}

int dma_streams() { return 2; }

void dma_start(int /*stream*/, void* dst, const void* src, uint32_t bytes) { std::memcpy(dst, src, bytes); }

void dma_wait(int /*stream*/) {}

uint32_t cycles() {
  const auto now = std::chrono::steady_clock::now().time_since_epoch();
  return static_cast<uint32_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(now).count());
}

const char* cycles_unit() { return "ns"; }

void console_write(const char* text, size_t length) {
  std::fwrite(text, 1, length, stdout);
  std::fflush(stdout);
}

void exit(int code) { std::exit(code); }

}  // namespace tinyops::rt::port
