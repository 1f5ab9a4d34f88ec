#include "console.hpp"

#include "tinyops/rt/port.hpp"

namespace tinyops::app {

void print(const char* text) {
  size_t length = 0;
  while (text[length] != '\0') ++length;
  rt::port::console_write(text, length);
}

void print_u32(uint32_t value) {
  char digits[11];
  int at = sizeof(digits) - 1;
  digits[at] = '\0';
  do {
    digits[--at] = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value != 0);
  print(&digits[at]);
}

void print_i32(int32_t value) {
  if (value < 0) {
    print("-");
    print_u32(0u - static_cast<uint32_t>(value));
  } else {
    print_u32(static_cast<uint32_t>(value));
  }
}

void print_hex(uint32_t value) {
  char digits[11] = {'0', 'x'};
  for (int i = 0; i < 8; ++i) digits[2 + i] = "0123456789abcdef"[(value >> (28 - 4 * i)) & 0xF];
  digits[10] = '\0';
  print(digits);
}

void print_field(const char* label, uint32_t value) {
  print(label);
  print_u32(value);
  print("\n");
}

}  // namespace tinyops::app
