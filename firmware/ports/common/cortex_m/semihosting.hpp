#pragma once
// Arm semihosting (the `bkpt 0xAB` calls a debugger or QEMU's -semihosting serves): the console and the
// exit status of the QEMU ports, and of the boards while a debug probe is attached.
#include <stddef.h>
#include <stdint.h>

namespace tinyops::rt::semihosting {

// Writes `length` bytes to the host's console (stdout of QEMU / the probe's semihosting console).
void write(const char* text, size_t length);

// Ends the session with `code` as the host process's exit status (SYS_EXIT_EXTENDED,
// ADP_Stopped_ApplicationExit).
[[noreturn]] void exit(int code);

}  // namespace tinyops::rt::semihosting
