#pragma once
// A tiny board with round numbers, for hand-computed simulator tests, and helpers to break it field by field.
#include <string>

#include "tinyops/board.hpp"

namespace tinyops::fixtures {

// 1 MHz clock so cycles == microseconds; SRAM free, SDRAM 1 cycle/byte read and 2 write, flash 0.5 read;
// one DMA engine, 2 streams, 10 setup cycles, 20 CPU issue cycles, 4 bytes/cycle SDRAM<->SRAM.
// Conv 1x1 costs 1 cycle/MAC + 2 cycles/output + 100 cycles/call.
inline const char* kTinyBoardYaml = R"(
name: tiny
description: "hand-computable test board"
version: 3
cpu:
  core: cortex-m7
  clock_hz: {value: 1000000, source: estimate, ref: "test"}
  icache_bytes: {value: 0, source: estimate, ref: "test"}
  dcache_bytes: {value: 0, source: estimate, ref: "test"}
  memcpy_cycles_per_byte: {value: 1, source: estimate, ref: "test"}
memories:
  - name: sram
    kind: internal
    base: {value: 0x20000000, source: datasheet, ref: "test"}
    size_bytes: {value: 65536, source: datasheet, ref: "test"}
    read_cycles_per_byte: {value: 0, source: estimate, ref: "test"}
    write_cycles_per_byte: {value: 0, source: estimate, ref: "test"}
    cached: false
    dma_reachable: true
  - name: flash
    kind: flash
    base: {value: 0x08000000, source: datasheet, ref: "test"}
    size_bytes: {value: 65536, source: datasheet, ref: "test"}
    read_cycles_per_byte: {value: 0.5, source: estimate, ref: "test"}
    write_cycles_per_byte: {value: 0, source: estimate, ref: "test"}
    cached: false
    dma_reachable: true
  - name: sdram
    kind: external
    base: {value: 0xC0000000, source: datasheet, ref: "test"}
    size_bytes: {value: 1048576, source: datasheet, ref: "test"}
    read_cycles_per_byte: {value: 1, source: estimate, ref: "test"}
    write_cycles_per_byte: {value: 2, source: estimate, ref: "test"}
    cached: false
    dma_reachable: true
sram:
  memory: sram
  budget_bytes: {value: 60000, source: measurement, ref: "test"}
dma:
  - name: dma
    streams: {value: 2, source: datasheet, ref: "test"}
    setup_cycles: {value: 10, source: estimate, ref: "test"}
    cpu_issue_cycles: {value: 20, source: estimate, ref: "test"}
    links:
      - {from: sdram, to: sram, bytes_per_cycle: {value: 4, source: estimate, ref: "test"}}
      - {from: sram, to: sdram, bytes_per_cycle: {value: 4, source: estimate, ref: "test"}}
bus:
  cpu_stall_increase: {value: 0, source: estimate, ref: "test"}
  dma_slowdown: {value: 0, source: estimate, ref: "test"}
kernels:
  conv2d_1x1: {cycles_per_mac: {value: 1, source: fit, ref: "t"}, cycles_per_output: {value: 2, source: fit, ref: "t"}, cycles_per_call: {value: 100, source: fit, ref: "t"}}
  conv2d_kxk_dsp: {cycles_per_mac: {value: 1, source: fit, ref: "t"}, cycles_per_output: {value: 2, source: fit, ref: "t"}, cycles_per_call: {value: 100, source: fit, ref: "t"}}
  conv2d_kxk_reference: {cycles_per_mac: {value: 1, source: fit, ref: "t"}, cycles_per_output: {value: 2, source: fit, ref: "t"}, cycles_per_call: {value: 100, source: fit, ref: "t"}}
  depthwise_conv2d_dsp: {cycles_per_mac: {value: 1, source: fit, ref: "t"}, cycles_per_output: {value: 2, source: fit, ref: "t"}, cycles_per_call: {value: 100, source: fit, ref: "t"}}
  depthwise_conv2d_reference: {cycles_per_mac: {value: 1, source: fit, ref: "t"}, cycles_per_output: {value: 2, source: fit, ref: "t"}, cycles_per_call: {value: 100, source: fit, ref: "t"}}
  add: {cycles_per_mac: {value: 0, source: fit, ref: "t"}, cycles_per_output: {value: 1, source: fit, ref: "t"}, cycles_per_call: {value: 10, source: fit, ref: "t"}}
  average_pool: {cycles_per_mac: {value: 1, source: fit, ref: "t"}, cycles_per_output: {value: 1, source: fit, ref: "t"}, cycles_per_call: {value: 10, source: fit, ref: "t"}}
  global_average_pool: {cycles_per_mac: {value: 1, source: fit, ref: "t"}, cycles_per_output: {value: 1, source: fit, ref: "t"}, cycles_per_call: {value: 10, source: fit, ref: "t"}}
  fully_connected: {cycles_per_mac: {value: 1, source: fit, ref: "t"}, cycles_per_output: {value: 1, source: fit, ref: "t"}, cycles_per_call: {value: 10, source: fit, ref: "t"}}
  pad: {cycles_per_mac: {value: 0, source: fit, ref: "t"}, cycles_per_output: {value: 1, source: fit, ref: "t"}, cycles_per_call: {value: 10, source: fit, ref: "t"}}
  mul: {cycles_per_mac: {value: 0, source: fit, ref: "t"}, cycles_per_output: {value: 1, source: fit, ref: "t"}, cycles_per_call: {value: 10, source: fit, ref: "t"}}
)";

// The tiny board YAML with the first occurrence of `from` replaced by `to`.
inline std::string tiny_board_with(const std::string& from, const std::string& to) {
  std::string text = kTinyBoardYaml;
  auto at = text.find(from);
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

}  // namespace tinyops::fixtures
