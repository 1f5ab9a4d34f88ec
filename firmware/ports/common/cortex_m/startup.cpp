// Reset handler and vector table shared by every Cortex-M port (Armv7-M and Armv8-M Mainline).
// The linker script (sections.ld) provides the symbols used here; the port provides port::init(), and the
// application provides main().
#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include "mmio.hpp"
#include "tinyops/rt/port.hpp"

#ifndef TINYOPS_IRQ_COUNT
#define TINYOPS_IRQ_COUNT 112  // external interrupt lines in the table; more than any supported MCU uses
#endif

extern "C" {
extern uint32_t __data_load[], __data_start[], __data_end[];
extern uint32_t __bss_start[], __bss_end[];
extern uint32_t __stack_top[];
extern uint8_t __heap_start[], __heap_end[];
void* _sbrk(ptrdiff_t increment);
void __libc_init_array();
int main();
[[noreturn]] void tinyops_reset_handler();
[[noreturn]] void tinyops_start_application();
void tinyops_unexpected_exception();
}

namespace {

using tinyops::rt::mmio::reg32;

constexpr uintptr_t kIcsr = 0xE000ED04;  // VECTACTIVE in bits [8:0]
constexpr uintptr_t kCfsr = 0xE000ED28;
constexpr uintptr_t kHfsr = 0xE000ED2C;
constexpr uintptr_t kBfar = 0xE000ED38;

void write_text(const char* text) {
  uint32_t length = 0;
  while (text[length] != '\0') ++length;
  tinyops::rt::port::console_write(text, length);
}

void write_hex(uint32_t value) {
  char digits[11] = {'0', 'x'};
  for (int i = 0; i < 8; ++i) digits[2 + i] = "0123456789abcdef"[(value >> (28 - 4 * i)) & 0xF];
  digits[10] = '\0';
  write_text(digits);
}

}  // namespace

// Runs after the FPU is on: C/C++ run-time set-up, then the application.
extern "C" [[noreturn]] void tinyops_start_application() {
  for (uint32_t *src = __data_load, *dst = __data_start; dst < __data_end;) *dst++ = *src++;
  for (uint32_t* dst = __bss_start; dst < __bss_end;) *dst++ = 0;
  __libc_init_array();  // C++ static constructors
  tinyops::rt::port::exit(main());
}

// Naked so that no compiler-generated code runs before the FPU is enabled (the hard-float ABI may use
// FP registers anywhere): CP10 and CP11 full access in CPACR (Armv7-M ARM B3.2.20), barriers, then C++.
extern "C" __attribute__((naked, noreturn)) void tinyops_reset_handler() {
  __asm__ volatile(
      "ldr r0, =0xE000ED88      \n"  // CPACR
      "ldr r1, [r0]             \n"
      "orr r1, r1, #(0xF << 20) \n"
      "str r1, [r0]             \n"
      "dsb                      \n"
      "isb                      \n"
      "b tinyops_start_application \n");
}

// malloc's memory: the .heap section only (empty unless the image sets TINYOPS_HEAP_BYTES), so an
// allocation fails cleanly instead of growing into the stack or the arenas.
extern "C" void* _sbrk(ptrdiff_t increment) {
  static uint8_t* top = __heap_start;
  if (increment < 0 || increment > __heap_end - top) {
    errno = ENOMEM;
    return reinterpret_cast<void*>(-1);
  }
  uint8_t* previous = top;
  top += increment;
  return previous;
}

// Every exception the firmware does not expect (faults included) ends the run with a diagnosis.
extern "C" void tinyops_unexpected_exception() {
  write_text("\ntinyops: unexpected exception ");
  write_hex(reg32(kIcsr) & 0x1FF);
  write_text(" CFSR=");
  write_hex(reg32(kCfsr));
  write_text(" HFSR=");
  write_hex(reg32(kHfsr));
  write_text(" BFAR=");
  write_hex(reg32(kBfar));
  write_text("\n");
  tinyops::rt::port::exit(3);
}

namespace {
using Handler = void (*)();
struct VectorTable {
  uint32_t* initial_stack;
  Handler handlers[15 + TINYOPS_IRQ_COUNT];
};

constexpr VectorTable make_vector_table() {
  VectorTable table{__stack_top, {}};
  table.handlers[0] = tinyops_reset_handler;
  for (int i = 1; i < 15 + TINYOPS_IRQ_COUNT; ++i) table.handlers[i] = tinyops_unexpected_exception;
  return table;
}
}  // namespace

extern "C" __attribute__((section(".isr_vector"), used)) const VectorTable tinyops_vector_table = make_vector_table();
