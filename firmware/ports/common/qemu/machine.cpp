// The QEMU machine an image of this port runs on, for the host: tinyops/compiler/_ports.py reads it from the
// ELF, so no host table repeats it. The port's CMakeLists.txt names the machine once (tinyops_add_port_apps
// QEMU_MACHINE), for its CTests and for this definition.
#include "../qemu/facts.hpp"

#ifndef TINYOPS_QEMU_MACHINE
#error "TINYOPS_QEMU_MACHINE: the QEMU machine name (tinyops_add_port_apps QEMU_MACHINE defines it)"
#endif

extern "C" TINYOPS_PORT_FACT const char tinyops_qemu_machine[] = TINYOPS_QEMU_MACHINE;
