// Port self-test: proves a port before any model runs on it. Checks both memory regions the linker script
// maps (.tinyops.internal, .tinyops.external), every DMA stream (sizes, alignments, both directions, both
// streams in flight while the CPU computes), and that the cycle/tick counter advances with work done.
// Prints one line per check and exits 0 when all pass, 1 otherwise.
#include <stdint.h>
#include <string.h>

#include "console.hpp"
#include "tinyops/rt/port.hpp"

namespace {

using tinyops::app::print;
using tinyops::app::print_field;
using tinyops::app::print_hex;
using tinyops::app::print_u32;
namespace port = tinyops::rt::port;

constexpr uint32_t kInternalBytes = 64 * 1024;
constexpr uint32_t kExternalBytes = 1024 * 1024;
TINYOPS_INTERNAL uint8_t internal_buffer[kInternalBytes];
TINYOPS_EXTERNAL uint8_t external_buffer[kExternalBytes];

int failures = 0;

void report(const char* check, bool passed) {
  print(passed ? "selftest: ok   " : "selftest: FAIL ");
  print(check);
  print("\n");
  if (!passed) ++failures;
}

// A pattern no two nearby words share, so that stuck, swapped or aliased address lines show up.
uint32_t pattern_word(uint32_t index, uint32_t seed) { return (index * 2654435761u) ^ seed; }

// Word pattern, its complement, then byte writes read back as words (byte lanes).
bool memory_test(uint8_t* base, uint32_t bytes) {
  auto* words = reinterpret_cast<volatile uint32_t*>(base);
  const uint32_t count = bytes / 4;
  const uint32_t seeds[] = {0x00000000u, 0xFFFFFFFFu};
  for (uint32_t seed : seeds) {
    for (uint32_t i = 0; i < count; ++i) words[i] = pattern_word(i, seed);
    for (uint32_t i = 0; i < count; ++i) {
      if (words[i] != pattern_word(i, seed)) {
        print("  mismatch at ");
        print_hex(reinterpret_cast<uint32_t>(&words[i]));
        print("\n");
        return false;
      }
    }
  }
  auto* bytes_view = reinterpret_cast<volatile uint8_t*>(base);
  for (uint32_t i = 0; i < 256; ++i) bytes_view[i] = static_cast<uint8_t>(i);
  for (uint32_t i = 0; i < 64; ++i) {
    const uint32_t expected = (4 * i) | (4 * i + 1) << 8 | (4 * i + 2) << 16 | static_cast<uint32_t>(4 * i + 3) << 24;
    if (words[i] != expected) return false;
  }
  return true;
}

void fill(uint8_t* data, uint32_t bytes, uint32_t seed) {
  for (uint32_t i = 0; i < bytes; ++i) data[i] = static_cast<uint8_t>(pattern_word(i, seed) >> 13);
}

// CPU work done while copies are in flight: a checksum over memory no copy touches.
uint32_t compute_while_copying(const uint8_t* data, uint32_t bytes) {
  uint32_t sum = 0;
  for (uint32_t i = 0; i < bytes; ++i) sum = (sum << 1 | sum >> 31) ^ data[i];
  return sum;
}

constexpr uint8_t kGuard = 0xA5;
constexpr uint32_t kGuardBytes = 16;

// Copies `bytes` from src to dst on `stream` while the CPU computes; checks the copy and that the
// guard bytes around the destination stay untouched.
bool dma_copy_check(int stream, uint8_t* dst, const uint8_t* src, uint32_t bytes, const uint8_t* busy_data,
                    uint32_t busy_bytes) {
  memset(dst - kGuardBytes, kGuard, bytes + 2 * kGuardBytes);
  const uint32_t expected_sum = compute_while_copying(busy_data, busy_bytes);
  port::dma_start(stream, dst, src, bytes);
  const uint32_t sum = compute_while_copying(busy_data, busy_bytes);
  port::dma_wait(stream);
  if (sum != expected_sum || memcmp(dst, src, bytes) != 0) return false;
  for (uint32_t i = 0; i < kGuardBytes; ++i) {
    if (dst[-1 - static_cast<int32_t>(i)] != kGuard || dst[bytes + i] != kGuard) return false;
  }
  return true;
}

bool dma_test() {
  // External source and destination areas, internal source and destination areas, each with guard room.
  uint8_t* ext_src = external_buffer + 64;
  uint8_t* ext_dst = external_buffer + kExternalBytes / 2;
  uint8_t* int_src = internal_buffer + 64;
  uint8_t* int_dst = internal_buffer + kInternalBytes / 2;
  const uint32_t max_bytes = kInternalBytes / 2 - 256;
  fill(ext_src, max_bytes + 8, 0x1234);
  fill(int_src, max_bytes + 8, 0x5678);
  const uint8_t* busy = external_buffer + kExternalBytes - 4096;

  // 256, 288: block_copy's one 256-byte pass alone, then with one 32-byte block after it (an500 copies by CPU).
  const uint32_t sizes[] = {1, 3, 4, 64, 256, 288, 1000, 4095 * 4, 4096 * 4 + 7, max_bytes};
  bool passed = true;
  for (int stream = 0; stream < port::dma_streams(); ++stream) {
    for (uint32_t size : sizes) {
      for (uint32_t misalign = 0; misalign < 4; ++misalign) {
        const uint32_t n = size > max_bytes - 4 ? size - misalign : size;
        passed &= dma_copy_check(stream, int_dst + misalign, ext_src + (3 * misalign) % 4, n, busy, 4096);
        passed &= dma_copy_check(stream, ext_dst + (2 * misalign) % 4, int_src + misalign, n, busy, 4096);
      }
    }
  }
  // A large copy between addresses only byte-aligned to each other: the most transfers, the longest
  // descriptor chains (PL081: more than one batch of linked-list items).
  constexpr uint32_t kLargeBytes = 300000;
  fill(external_buffer + 1, kLargeBytes, 0x9ABC);
  passed &=
      dma_copy_check(0, external_buffer + kExternalBytes / 2 - 2048, external_buffer + 1, kLargeBytes, busy, 4096);
  if (!passed) return false;

  // Every stream in flight at once (ping-pong: next part in, previous results out).
  const uint32_t chunk = max_bytes / static_cast<uint32_t>(port::dma_streams());
  memset(int_dst, 0, max_bytes);
  for (int stream = 0; stream < port::dma_streams(); ++stream) {
    port::dma_start(stream, int_dst + stream * chunk, ext_src + stream * chunk, chunk);
  }
  compute_while_copying(busy, 4096);
  for (int stream = 0; stream < port::dma_streams(); ++stream) port::dma_wait(stream);
  return memcmp(int_dst, ext_src, chunk * static_cast<uint32_t>(port::dma_streams())) == 0;
}

__attribute__((noinline)) void spin(uint32_t iterations) {
  for (volatile uint32_t i = 0; i < iterations; ++i) {
  }
}

bool timer_test() {
  const uint32_t t0 = port::cycles();
  spin(10000);
  const uint32_t t1 = port::cycles();
  spin(100000);
  const uint32_t t2 = port::cycles();
  const uint32_t short_run = t1 - t0;
  const uint32_t long_run = t2 - t1;
  print("  ");
  print_u32(short_run);
  print(" / ");
  print_u32(long_run);
  print(" ");
  print(port::cycles_unit());
  print(" for 10000 / 100000 loop iterations\n");
  // Ten times the work must take clearly more time (between 5x and 20x leaves room for fixed costs).
  return short_run > 0 && long_run > 5 * short_run && long_run < 20 * short_run;
}

}  // namespace

int main() {
  port::init();
  print("selftest: port up\n");
  report("internal memory", memory_test(internal_buffer, kInternalBytes));
  report("external memory", memory_test(external_buffer, kExternalBytes));
  report("dma copies", dma_test());
  report("cycle counter", timer_test());
  print_field("selftest: dma streams ", static_cast<uint32_t>(port::dma_streams()));
  print(failures == 0 ? "selftest: PASS\n" : "selftest: FAILED\n");
  return failures == 0 ? 0 : 1;
}
