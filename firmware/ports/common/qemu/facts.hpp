#pragma once
// Facts about a port that the host reads from its images' ELF symbols (tinyops/compiler/_ports.py): nothing
// references them, so they go to a section the linker keeps (sections.ld: .tinyops.facts, in REGION_TEXT).
#define TINYOPS_PORT_FACT __attribute__((used, section(".tinyops.facts")))
