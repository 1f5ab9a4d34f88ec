// Fault-injection firmware for the HIL target tests: it fills `tinyops_results` as the runtime does
// (firmware/RESULTS_FORMAT.md), and then finishes, hangs, faults or reports an error as the host asks
// (the host writes `fixture_mode` through the debugger before running). The real runtime cannot be made
// to hang or fault on demand; this is the smallest program that can, so each failure path runs for real.
#include <stdint.h>

extern "C" {
struct OpResult {
  uint32_t cycles, dma_wait_cycles, parts, dma_bytes;
};
struct Results {
  uint32_t magic;
  uint16_t version, op_result_bytes;
  int32_t status;
  uint32_t op_count, total_cycles, run_count;
  char cycles_unit[8];
  OpResult ops[256];
};
Results tinyops_results __attribute__((used));
volatile uint32_t fixture_mode __attribute__((used)) = 0;  // 0 finish, 1 hang, 2 fault, 3 error status
volatile uint32_t fixture_ops __attribute__((used)) = 5;
extern uint32_t __stack_top;
extern const uint32_t __tinyops_blob_start[];  // PSRAM, as in the runner's linker script
// As in the runner: the host may write the blob when the firmware stops here.
__attribute__((noinline)) void tinyops_wait_for_host() { __asm__ volatile("" ::: "memory"); }
void reset_handler();
void tinyops_unexpected_exception();
}

namespace tinyops::rt::port {
// The exit seam the host breaks on: r0 holds the code. Semihosting SYS_EXIT_EXTENDED ends QEMU without a host.
[[noreturn]] __attribute__((noinline)) void exit(int code) {
  uint32_t block[2] = {0x20026, uint32_t(code)};  // ADP_Stopped_ApplicationExit, code
  register uint32_t r0 asm("r0") = 0x20;         // SYS_EXIT_EXTENDED
  register uint32_t* r1 asm("r1") = block;
  asm volatile("bkpt 0xab" : : "r"(r0), "r"(r1) : "memory");
  for (;;) {
  }
}
}  // namespace tinyops::rt::port

namespace {
// 2 KB of console output per run, as the runner's per-op report writes: the host must drain QEMU's console.
uint32_t semihosting(uint32_t operation, const void* argument) {
  register uint32_t r0 asm("r0") = operation;
  register const void* r1 asm("r1") = argument;
  asm volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
  return r0;
}

void console_report() {
  static char line[2048];
  for (uint32_t i = 0; i < sizeof line; ++i) line[i] = i % 64 == 63 ? '\n' : 'x';
  static const char kConsole[] = ":tt";
  const uint32_t open_block[3] = {reinterpret_cast<uint32_t>(kConsole), 4, sizeof kConsole - 1};  // SYS_OPEN "w"
  const uint32_t handle = semihosting(0x01, open_block);
  const uint32_t write_block[3] = {handle, reinterpret_cast<uint32_t>(line), sizeof line};
  semihosting(0x05, write_block);  // SYS_WRITE
}

volatile uint32_t* const kSystCsr = reinterpret_cast<uint32_t*>(0xE000E010);
volatile uint32_t* const kSystRvr = reinterpret_cast<uint32_t*>(0xE000E014);
volatile uint32_t* const kSystCvr = reinterpret_cast<uint32_t*>(0xE000E018);

uint32_t ticks() { return 0xFFFFFFu - *kSystCvr; }  // SysTick counts down from the reload value

__attribute__((noinline)) void work(uint32_t iterations) {
  for (volatile uint32_t i = 0; i < iterations; i = i + 1) {
  }
}
}  // namespace

// Named as the runtime's startup names it: the host breaks here to see a fault.
extern "C" void tinyops_unexpected_exception() { tinyops::rt::port::exit(3); }

extern "C" void reset_handler() {
  *kSystRvr = 0xFFFFFF;
  *kSystCvr = 0;
  *kSystCsr = 5;  // enable, processor clock, no interrupt
  tinyops_wait_for_host();
  // A "blob" of {0xB10B0001, n} asks for n ops; without one, fixture_ops says how many.
  const uint32_t op_count = __tinyops_blob_start[0] == 0xB10B0001u ? __tinyops_blob_start[1] : fixture_ops;
  Results& r = tinyops_results;
  r.magic = 0x53524F54;  // "TORS"
  r.version = 1;
  r.op_result_bytes = sizeof(OpResult);
  __builtin_memcpy(r.cycles_unit, "ticks\0\0", 8);
  const uint32_t run_start = ticks();
  for (uint32_t op = 0; op < op_count; ++op) {
    if (fixture_mode == 1 && op == 2) for (;;) {}
    if (fixture_mode == 2 && op == 2) *reinterpret_cast<volatile uint32_t*>(0xFFFFFFF0) = 1;  // bus fault
    const uint32_t start = ticks();
    work(2000 * (op + 1));
    r.ops[op].cycles = (ticks() - start) & 0xFFFFFF;
    r.ops[op].parts = 1;
    r.op_count = op + 1;
  }
  r.total_cycles = (ticks() - run_start) & 0xFFFFFF;
  r.status = fixture_mode == 3 ? 24 : 0;  // kNotLoaded, as a run on a bad blob reports
  r.run_count = 1;
  console_report();
  tinyops::rt::port::exit(r.status == 0 ? 0 : 1);
}

__attribute__((section(".vectors"), used)) const void* const vectors[16] = {
    &__stack_top, reinterpret_cast<void*>(reset_handler), reinterpret_cast<void*>(tinyops_unexpected_exception),
    reinterpret_cast<void*>(tinyops_unexpected_exception), reinterpret_cast<void*>(tinyops_unexpected_exception),
    reinterpret_cast<void*>(tinyops_unexpected_exception), reinterpret_cast<void*>(tinyops_unexpected_exception)};
