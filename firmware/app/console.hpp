#pragma once
// Line-oriented text output over port::console_write, without printf (newlib's would cost ~20 KB).
#include <stdint.h>

namespace tinyops::app {

void print(const char* text);
void print_u32(uint32_t value);
void print_i32(int32_t value);
void print_hex(uint32_t value);
// "<label><value>\n"
void print_field(const char* label, uint32_t value);

}  // namespace tinyops::app
