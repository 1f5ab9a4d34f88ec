#pragma once
// The contract between the firmware runner (runner.cpp) and the host that feeds it: where the model blob
// and the input go, what the runner reports. See firmware/README.md, "The runner".
#include <stdint.h>

// The input slot (`__tinyops_input_start`, linker script) holds an optional input image with this header.
inline constexpr uint32_t kInputMagic = 0x4E494F54u;  // "TOIN"
struct InputHeader {
  uint32_t magic;     // kInputMagic
  uint32_t bytes;     // = the model's input tensor bytes
  uint32_t crc32;     // zlib CRC-32 of the bytes that follow
  uint32_t reserved;  // 0
};

// Exit statuses of the runner (0 = the model ran). 3 and 4 are the port's (unexpected exception, DMA error).
enum RunnerExit : int {
  kExitOk = 0,
  kExitLoadFailed = 1,  // the blob was rejected: the console names the status, table, record and field
  kExitRunFailed = 2,
  kExitBadInput = 5,  // an input header is there but its size or CRC is wrong
};

// Where the output tensor is, once the run is over (read by its symbol, like tinyops_results).
struct RunnerOutput {
  const int8_t* data;
  uint32_t bytes;
};
extern "C" RunnerOutput tinyops_output;

// Called right before and right after run_model(): empty, for hosts that count instructions exactly
// (the QEMU insn_count plugin's mark=) or set breakpoints around the inference alone.
extern "C" void tinyops_run_begin();
extern "C" void tinyops_run_end();

// Called after port::init() and before the blob is read: a host whose probe can only write memory once
// the external memory works (the boards' SDRAM) stops here with a breakpoint and writes the blob and input.
extern "C" void tinyops_wait_for_host();
