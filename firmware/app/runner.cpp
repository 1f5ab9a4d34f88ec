// The firmware runner every port links: bring the port up, find the model blob in its slot (and its flash
// image, if it has one, in the internal-flash slot), validate it, take the input from the input slot, run the
// plan, then report the per-op counts and the output on the console and in memory (tinyops_results,
// tinyops_output) and exit with a status (runner.hpp).
#include "runner.hpp"

#include <string.h>

#include "console.hpp"
#include "tinyops/rt/port.hpp"
#include "tinyops/rt/runtime.hpp"

extern "C" {
extern const uint8_t __tinyops_blob_start[], __tinyops_blob_end[];
extern const uint8_t __tinyops_input_start[], __tinyops_input_end[];
extern const uint8_t __tinyops_flash_start[], __tinyops_flash_end[];
RunnerOutput tinyops_output;
__attribute__((noinline)) void tinyops_wait_for_host() { __asm__ volatile("" ::: "memory"); }
__attribute__((noinline)) void tinyops_run_begin() { __asm__ volatile("" ::: "memory"); }
__attribute__((noinline)) void tinyops_run_end() { __asm__ volatile("" ::: "memory"); }
}

namespace {

namespace rt = tinyops::rt;
using tinyops::app::print;
using tinyops::app::print_field;
using tinyops::app::print_i32;
using tinyops::app::print_u32;

// Arena sizes per port (CMake: tinyops_add_port_apps ... EXTERNAL_ARENA_BYTES / INTERNAL_ARENA_BYTES).
TINYOPS_EXTERNAL uint8_t external_arena[TINYOPS_EXTERNAL_ARENA_BYTES];
TINYOPS_INTERNAL uint8_t internal_arena[TINYOPS_INTERNAL_ARENA_BYTES];

void print_load_error(const rt::LoadError& error) {
  print("runner: the model blob was rejected: ");
  print(rt::to_string(error.status));
  if (error.table != nullptr) {
    print(" (");
    print(error.table);
    print(" ");
    print_u32(error.index);
    if (error.field != nullptr) {
      print(", field ");
      print(error.field);
    }
    print(")");
  }
  print("\n");
}

// Copies the input image into the model's input tensor; false (reported) when one is there but wrong.
bool take_input(const rt::Model& model) {
  const auto* header = reinterpret_cast<const InputHeader*>(__tinyops_input_start);
  if (header->magic != kInputMagic) {
    print("runner: no input image in the input slot; the input tensor keeps its contents\n");
    return true;
  }
  const uint32_t capacity = static_cast<uint32_t>(__tinyops_input_end - __tinyops_input_start) - sizeof(InputHeader);
  const uint8_t* data = __tinyops_input_start + sizeof(InputHeader);
  if (header->bytes != model.input_bytes() || header->bytes > capacity) {
    print("runner: input: expected ");
    print_u32(model.input_bytes());
    print(" bytes (the model's input tensor), the input header says ");
    print_u32(header->bytes);
    print("\n");
    return false;
  }
  if (rt::crc32(data, header->bytes) != header->crc32) {
    print("runner: input: CRC-32 mismatch\n");
    return false;
  }
  memcpy(model.input(), data, header->bytes);
  return true;
}

void report(const rt::Model& model) {
  const rt::Results& r = tinyops_results;
  print("runner: ops ");
  print_u32(r.op_count);
  print(", total ");
  print_u32(r.total_cycles);
  print(" ");
  print(r.cycles_unit);
  print("\n");
  for (uint32_t i = 0; i < r.op_count; ++i) {
    const rt::OpResult& op = r.ops[i];
    print("op ");
    print_u32(i);
    print(" ");
    print_u32(op.cycles);
    print(" ");
    print_u32(op.dma_wait_cycles);
    print(" ");
    print_u32(op.parts);
    print(" ");
    print_u32(op.dma_bytes);
    print("\n");
  }
  print_field("output_bytes ", model.output_bytes());
  const int8_t* output = model.output();
  for (uint32_t i = 0; i < model.output_bytes(); ++i) {
    print((i % 32) == 0 ? "output " : " ");
    print_i32(output[i]);
    if (i % 32 == 31 || i + 1 == model.output_bytes()) print("\n");
  }
}

}  // namespace

int main() {
  rt::port::init();
  tinyops_wait_for_host();
  print("runner: columns of the op lines: index ");
  print(rt::port::cycles_unit());
  print(" dma_wait parts dma_bytes\n");

  rt::Model model;
  rt::LoadError error{};
  const uint32_t slot_bytes = static_cast<uint32_t>(__tinyops_blob_end - __tinyops_blob_start);
  const uint32_t flash_bytes = static_cast<uint32_t>(__tinyops_flash_end - __tinyops_flash_start);
  const rt::Arenas arenas{external_arena,        sizeof external_arena, internal_arena,
                          sizeof internal_arena, __tinyops_flash_start, flash_bytes};
  if (rt::load_model(__tinyops_blob_start, slot_bytes, arenas, &model, &error) != rt::Status::kOk) {
    tinyops_results.status = static_cast<int32_t>(error.status);
    print_load_error(error);
    return kExitLoadFailed;
  }
  if (!take_input(model)) return kExitBadInput;
  tinyops_run_begin();
  const rt::Status status = rt::run_model(model, &tinyops_results);
  tinyops_run_end();
  if (status != rt::Status::kOk) {
    print("runner: run failed: ");
    print(rt::to_string(status));
    print("\n");
    return kExitRunFailed;
  }
  tinyops_output = {model.output(), model.output_bytes()};
  report(model);
  print("runner: done\n");
  return kExitOk;
}
