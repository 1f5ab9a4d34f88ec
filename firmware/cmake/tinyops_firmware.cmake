# Building TinyOps firmware images for Cortex-M: port libraries, applications, QEMU runs.
#
# Included by each port's CMakeLists.txt (firmware/ports/<port>/), which is a top-level project of its own,
# and by a user's own firmware project the same way (see firmware/README.md, "Using the runtime in your
# firmware"). Requires the arm-none-eabi toolchain file (arm-none-eabi.cmake) to be active.
include_guard(GLOBAL)

set(TINYOPS_FIRMWARE_DIR "${CMAKE_CURRENT_LIST_DIR}/.." CACHE INTERNAL "")
cmake_path(NORMAL_PATH TINYOPS_FIRMWARE_DIR)
set(_tinyops_common "${TINYOPS_FIRMWARE_DIR}/ports/common")

if(NOT CMAKE_BUILD_TYPE)
  set(CMAKE_BUILD_TYPE Release CACHE STRING "Firmware build type (Release: -O3)" FORCE)
endif()
set(CMAKE_CXX_STANDARD 17)
set(CMAKE_CXX_STANDARD_REQUIRED ON)
set(CMAKE_CXX_EXTENSIONS OFF)
enable_testing()  # QEMU runs are CTests of the cross build (tinyops_add_qemu_test)

# The portable runtime core (target tinyops_rt from firmware/CMakeLists.txt), compiled with the image's
# flags. TINYOPS_RUNTIME_DIR may point at another checkout's firmware/ directory.
set(TINYOPS_RUNTIME_DIR ${TINYOPS_FIRMWARE_DIR} CACHE PATH "Directory whose CMakeLists.txt defines tinyops_rt")
if(NOT TARGET tinyops_rt AND EXISTS ${TINYOPS_RUNTIME_DIR}/CMakeLists.txt)
  add_subdirectory(${TINYOPS_RUNTIME_DIR} ${CMAKE_BINARY_DIR}/tinyops_rt)
endif()

# Code shared by the ports, by family.
set(TINYOPS_CORTEX_M_SOURCES
    ${_tinyops_common}/cortex_m/startup.cpp
    ${_tinyops_common}/cortex_m/semihosting.cpp)
# The CPU copy engine of ports without DMA.
set(TINYOPS_CORTEX_M_COPY_SOURCES ${_tinyops_common}/cortex_m/block_copy.cpp)
set(TINYOPS_CMSDK_SOURCES ${_tinyops_common}/cmsdk/dual_timer.cpp)
set(TINYOPS_ARMV7M_CACHE_SOURCES ${_tinyops_common}/cortex_m/cache.cpp ${_tinyops_common}/cortex_m/dwt.cpp)
file(GLOB TINYOPS_STM32F7_SOURCES CONFIGURE_DEPENDS ${_tinyops_common}/stm32f7/*.cpp)

# tinyops_add_port(<port> LINKER_SCRIPT <file> SOURCES <src>... [DEFINITIONS <def>...])
# Creates the OBJECT library `tinyops_port_<port>` (alias tinyops::port::<port>): startup code, vector
# table, drivers and the linker script. Object, not static, so the vector table and reset handler always
# reach the image although nothing references them.
function(tinyops_add_port port)
  cmake_parse_arguments(PARSE_ARGV 1 ARG "" "LINKER_SCRIPT" "SOURCES;DEFINITIONS")
  set(target tinyops_port_${port})
  string(REPLACE "-" "_" target ${target})
  add_library(${target} OBJECT ${ARG_SOURCES})
  add_library(tinyops::port::${port} ALIAS ${target})
  target_include_directories(${target} PUBLIC ${TINYOPS_FIRMWARE_DIR}/include)
  target_compile_definitions(${target} PRIVATE ${ARG_DEFINITIONS})
  target_compile_options(${target} PRIVATE -Wall -Wextra)
  target_link_options(${target} INTERFACE
      -T${ARG_LINKER_SCRIPT} -L${_tinyops_common}/cortex_m)
  set_property(TARGET ${target} APPEND PROPERTY INTERFACE_LINK_DEPENDS
      ${ARG_LINKER_SCRIPT} ${_tinyops_common}/cortex_m/sections.ld)
  set(TINYOPS_PORT_NAME ${port} PARENT_SCOPE)
endfunction()

# tinyops_add_firmware(<name> PORT <port> SOURCES <src>... [LIBRARIES <lib>...])
# A firmware image <name>.elf for <port>, with a link map and a raw <name>.bin beside it.
function(tinyops_add_firmware name)
  cmake_parse_arguments(PARSE_ARGV 1 ARG "" "PORT" "SOURCES;LIBRARIES")
  string(REPLACE "-" "_" port_target tinyops_port_${ARG_PORT})
  add_executable(${name} ${ARG_SOURCES})
  set_target_properties(${name} PROPERTIES SUFFIX ".elf")
  target_compile_options(${name} PRIVATE -Wall -Wextra)
  target_link_libraries(${name} PRIVATE ${port_target} ${ARG_LIBRARIES})
  target_link_options(${name} PRIVATE -Wl,-Map=$<TARGET_FILE_DIR:${name}>/${name}.map)
  add_custom_command(TARGET ${name} POST_BUILD
      COMMAND ${CMAKE_OBJCOPY} -O binary $<TARGET_FILE:${name}> $<TARGET_FILE_DIR:${name}>/${name}.bin
      COMMAND ${CMAKE_SIZE} $<TARGET_FILE:${name}>
      VERBATIM)
endfunction()

# tinyops_add_qemu_test(<name> MACHINE <machine> ELF <target> [BLOB <file>] [BLOB_ADDRESS <addr>]
#                       [TIMEOUT <s>] [PASS_REGEX <re>])
# A CTest that runs the image under qemu-system-arm with semihosting (console and exit status) and
# -icount shift=0 (deterministic time); the QEMU process is killed after TIMEOUT seconds so that a hang
# fails fast.
function(tinyops_add_qemu_test name)
  cmake_parse_arguments(PARSE_ARGV 1 ARG "" "MACHINE;ELF;BLOB;BLOB_ADDRESS;TIMEOUT;PASS_REGEX" "")
  find_program(TINYOPS_QEMU_SYSTEM_ARM qemu-system-arm REQUIRED)
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 60)
  endif()
  set(loader)
  if(ARG_BLOB)
    set(loader -device loader,file=${ARG_BLOB},addr=${ARG_BLOB_ADDRESS})
  endif()
  add_test(NAME ${name}
      COMMAND ${TINYOPS_QEMU_SYSTEM_ARM} -M ${ARG_MACHINE} -nographic -monitor none -serial null
              -semihosting-config enable=on,target=native -icount shift=0
              -kernel $<TARGET_FILE:${ARG_ELF}> ${loader})
  set_tests_properties(${name} PROPERTIES TIMEOUT ${ARG_TIMEOUT} LABELS qemu)
  if(ARG_PASS_REGEX)
    set_tests_properties(${name} PROPERTIES PASS_REGULAR_EXPRESSION "${ARG_PASS_REGEX}")
  endif()
endfunction()

# tinyops_add_image_check(<target> FLASH_BYTES <n> RAM_ORIGIN <addr> RAM_BYTES <n>)
# A CTest (label image) that checks the boot layout of a board image (cmake/check_image.cmake).
function(tinyops_add_image_check target)
  cmake_parse_arguments(PARSE_ARGV 1 ARG "" "FLASH_BYTES;RAM_ORIGIN;RAM_BYTES" "")
  find_program(TINYOPS_ARM_NM arm-none-eabi-nm REQUIRED)
  add_test(NAME ${target}-boot-layout
      COMMAND ${CMAKE_COMMAND} -DBIN=$<TARGET_FILE_DIR:${target}>/${target}.bin -DELF=$<TARGET_FILE:${target}>
              -DNM=${TINYOPS_ARM_NM} -DFLASH_BYTES=${ARG_FLASH_BYTES} -DRAM_ORIGIN=${ARG_RAM_ORIGIN}
              -DRAM_BYTES=${ARG_RAM_BYTES} -P ${TINYOPS_FIRMWARE_DIR}/cmake/check_image.cmake)
  set_tests_properties(${target}-boot-layout PROPERTIES LABELS image)
endfunction()

# tinyops_add_insn_count_plugin(MACHINE <machine>)
# Builds the instruction-counting QEMU plugin (tools/qemu_insn_count) with the host's C compiler into
# this build directory (libinsn_count.so), plus its known-answer CTest on <machine>.
function(tinyops_add_insn_count_plugin)
  cmake_parse_arguments(PARSE_ARGV 0 ARG "" "MACHINE" "")
  find_program(TINYOPS_HOST_CC NAMES cc gcc REQUIRED)
  set(source ${TINYOPS_FIRMWARE_DIR}/tools/qemu_insn_count/insn_count.c)
  set(plugin ${CMAKE_CURRENT_BINARY_DIR}/libinsn_count.so)
  add_custom_command(OUTPUT ${plugin}
      COMMAND ${TINYOPS_HOST_CC} -O2 -Wall -Wextra -shared -fPIC -fvisibility=hidden -o ${plugin} ${source}
      DEPENDS ${source} COMMENT "Building the QEMU plugin libinsn_count.so (host)")
  add_custom_target(insn_count_plugin ALL DEPENDS ${plugin})
  set(app ${TINYOPS_FIRMWARE_DIR}/app)
  tinyops_add_firmware(insn_count_check PORT ${TINYOPS_PORT_NAME}
      SOURCES ${app}/insn_count_check.cpp ${app}/console.cpp)
  if(TARGET tinyops_rt)
    tinyops_add_firmware(bench_kernels PORT ${TINYOPS_PORT_NAME}
        SOURCES ${app}/bench_kernels.cpp ${app}/console.cpp LIBRARIES tinyops_rt)
  endif()
  find_program(TINYOPS_QEMU_SYSTEM_ARM qemu-system-arm REQUIRED)
  find_program(TINYOPS_ARM_NM arm-none-eabi-nm REQUIRED)
  add_test(NAME insn-count-plugin-known-answer
      COMMAND ${CMAKE_COMMAND} -DQEMU=${TINYOPS_QEMU_SYSTEM_ARM} -DMACHINE=${ARG_MACHINE}
              -DELF=$<TARGET_FILE:insn_count_check> -DPLUGIN=${plugin} -DNM=${TINYOPS_ARM_NM}
              -DREPORT=${CMAKE_CURRENT_BINARY_DIR}/insn_count_check.report
              -P ${TINYOPS_FIRMWARE_DIR}/tools/qemu_insn_count/check.cmake)
  set_tests_properties(insn-count-plugin-known-answer PROPERTIES TIMEOUT 60 LABELS qemu)
endfunction()

# tinyops_add_port_apps(<port> EXTERNAL_ARENA_BYTES <n> INTERNAL_ARENA_BYTES <n>
#                       [QEMU_MACHINE <machine> BLOB_SLOT <address>])
# The applications every port links (firmware/app/): the self-test and, once the runtime core is there,
# the runner (arenas of the given sizes), with their QEMU runs where the port is emulated.
function(tinyops_add_port_apps port)
  cmake_parse_arguments(PARSE_ARGV 1 ARG "" "QEMU_MACHINE;BLOB_SLOT;EXTERNAL_ARENA_BYTES;INTERNAL_ARENA_BYTES" "")
  find_program(TINYOPS_QEMU_SYSTEM_ARM qemu-system-arm)
  set(app ${TINYOPS_FIRMWARE_DIR}/app)
  if(ARG_QEMU_MACHINE)
    # The machine goes into every image of the port too (tinyops_qemu_machine), for the host to read.
    string(REPLACE "-" "_" port_target tinyops_port_${port})
    target_sources(${port_target} PRIVATE ${_tinyops_common}/qemu/machine.cpp)
    set_source_files_properties(${_tinyops_common}/qemu/machine.cpp PROPERTIES
        COMPILE_DEFINITIONS "TINYOPS_QEMU_MACHINE=\"${ARG_QEMU_MACHINE}\"")
  endif()
  tinyops_add_firmware(selftest PORT ${port}
      SOURCES ${app}/selftest.cpp ${app}/console.cpp)
  if(ARG_QEMU_MACHINE)
    tinyops_add_qemu_test(${port}-selftest MACHINE ${ARG_QEMU_MACHINE} ELF selftest TIMEOUT 60)
  endif()
  if(TARGET tinyops_rt AND EXISTS ${TINYOPS_RUNTIME_DIR}/include/tinyops/rt/runtime.hpp)
    tinyops_add_firmware(runner PORT ${port}
        SOURCES ${app}/runner.cpp ${app}/console.cpp LIBRARIES tinyops_rt)
    target_compile_definitions(runner PRIVATE
        TINYOPS_EXTERNAL_ARENA_BYTES=${ARG_EXTERNAL_ARENA_BYTES}
        TINYOPS_INTERNAL_ARENA_BYTES=${ARG_INTERNAL_ARENA_BYTES})
    # The runtime exercised on the target with the host tests' network builder (when that is present).
    set(blob_builder ${TINYOPS_RUNTIME_DIR}/../tests/firmware/blob_builder.cpp)
    if(ARG_QEMU_MACHINE AND EXISTS ${blob_builder})
      tinyops_add_firmware(runtime_check PORT ${port}
          SOURCES ${app}/runtime_check.cpp ${app}/console.cpp ${blob_builder} LIBRARIES tinyops_rt)
      target_include_directories(runtime_check PRIVATE ${TINYOPS_RUNTIME_DIR}/../tests/firmware)
      target_link_options(runtime_check PRIVATE -Wl,--defsym=TINYOPS_HEAP_BYTES=0x100000)
      tinyops_add_qemu_test(${port}-runtime-check MACHINE ${ARG_QEMU_MACHINE} ELF runtime_check TIMEOUT 120)
    endif()
    if(ARG_QEMU_MACHINE)
      # The DSP kernels with the port's real instructions, bit-exact against the references.
      tinyops_add_firmware(kernel_check PORT ${port} SOURCES ${app}/kernel_check.cpp ${app}/console.cpp LIBRARIES tinyops_rt)
      tinyops_add_qemu_test(${port}-kernel-check MACHINE ${ARG_QEMU_MACHINE} ELF kernel_check TIMEOUT 300
                            PASS_REGEX "kernel_check: [0-9]+ cases, 0 mismatches")
    endif()
    if(ARG_QEMU_MACHINE)
      # The runner's refusals under QEMU: an empty blob slot, and a blob that is not one (the runner's
      # own source file loaded into the slot); each must exit 1 naming the loader's status.
      set(run_check ${CMAKE_COMMAND} -DQEMU=${TINYOPS_QEMU_SYSTEM_ARM} -DMACHINE=${ARG_QEMU_MACHINE}
          -DELF=$<TARGET_FILE:runner> -DEXPECT_EXIT=1)
      add_test(NAME ${port}-runner-empty-slot COMMAND ${run_check}
          "-DEXPECT_OUTPUT=rejected: bad_magic \\(header 0, field magic\\)"
          -P ${TINYOPS_FIRMWARE_DIR}/cmake/check_run.cmake)
      add_test(NAME ${port}-runner-not-a-blob COMMAND ${run_check}
          -DLOADER=${app}/runner.cpp@${ARG_BLOB_SLOT} "-DEXPECT_OUTPUT=rejected: bad_magic"
          -P ${TINYOPS_FIRMWARE_DIR}/cmake/check_run.cmake)
      set_tests_properties(${port}-runner-empty-slot ${port}-runner-not-a-blob PROPERTIES TIMEOUT 90 LABELS qemu)
    endif()
  endif()
endfunction()

# tinyops_add_stm32f7_board(<board> IRQ_COUNT <n> FLASH_BYTES <n> RAM_BYTES <n>
#                           EXTERNAL_ARENA_BYTES <n> INTERNAL_ARENA_BYTES <n>)
# A board on the shared STM32F7 port (ports/common/stm32f7): its directory holds board.cpp (wiring) and
# linker.ld (memory map). Adds the port, its applications and the boot-layout checks of its images.
function(tinyops_add_stm32f7_board board)
  cmake_parse_arguments(PARSE_ARGV 1 ARG ""
      "IRQ_COUNT;FLASH_BYTES;RAM_BYTES;EXTERNAL_ARENA_BYTES;INTERNAL_ARENA_BYTES" "")
  set(dir ${TINYOPS_FIRMWARE_DIR}/ports/${board})
  tinyops_add_port(${board}
      LINKER_SCRIPT ${dir}/linker.ld
      SOURCES ${dir}/board.cpp ${TINYOPS_CORTEX_M_SOURCES} ${TINYOPS_ARMV7M_CACHE_SOURCES} ${TINYOPS_STM32F7_SOURCES}
      DEFINITIONS TINYOPS_IRQ_COUNT=${ARG_IRQ_COUNT})
  tinyops_add_port_apps(${board}
      EXTERNAL_ARENA_BYTES "${ARG_EXTERNAL_ARENA_BYTES}" INTERNAL_ARENA_BYTES "${ARG_INTERNAL_ARENA_BYTES}")
  foreach(image selftest runner)
    if(TARGET ${image})
      tinyops_add_image_check(${image} FLASH_BYTES ${ARG_FLASH_BYTES} RAM_ORIGIN 0x20000000 RAM_BYTES ${ARG_RAM_BYTES})
    endif()
  endforeach()
endfunction()
