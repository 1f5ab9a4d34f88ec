#include "semihosting.hpp"

namespace tinyops::rt::semihosting {
namespace {

// Operation numbers from Arm's "Semihosting for AArch32 and AArch64" specification.
constexpr uint32_t kSysOpen = 0x01;
constexpr uint32_t kSysWrite = 0x05;
constexpr uint32_t kSysExitExtended = 0x20;
constexpr uint32_t kAdpStoppedApplicationExit = 0x20026;
constexpr uint32_t kOpenModeWrite = 4;  // fopen mode "w"

uint32_t call(uint32_t operation, const void* argument) {
  register uint32_t r0 __asm__("r0") = operation;
  register const void* r1 __asm__("r1") = argument;
  __asm__ volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
  return r0;
}

// The special file ":tt" is the host console; its handle is opened once.
int32_t console_handle() {
  static int32_t handle = -1;
  if (handle < 0) {
    static const char kConsole[] = ":tt";
    const uint32_t block[3] = {reinterpret_cast<uint32_t>(kConsole), kOpenModeWrite, sizeof(kConsole) - 1};
    handle = static_cast<int32_t>(call(kSysOpen, block));
  }
  return handle;
}

}  // namespace

void write(const char* text, size_t length) {
  if (length == 0) return;
  const uint32_t block[3] = {static_cast<uint32_t>(console_handle()), reinterpret_cast<uint32_t>(text),
                             static_cast<uint32_t>(length)};
  call(kSysWrite, block);
}

void exit(int code) {
  const uint32_t block[2] = {kAdpStoppedApplicationExit, static_cast<uint32_t>(code)};
  call(kSysExitExtended, block);
  for (;;) {  // a host that ignores the call leaves the core here
  }
}

}  // namespace tinyops::rt::semihosting
