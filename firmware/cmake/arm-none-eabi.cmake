# CMake toolchain file for bare-metal Cortex-M builds with Debian's arm-none-eabi-gcc and newlib.
#
# The core is chosen by TINYOPS_CPU (set it before project(), or with -DTINYOPS_CPU=...):
#   cortex-m7   -mcpu=cortex-m7 -mfpu=fpv5-d16 -mfloat-abi=hard   (mps2-an500, STM32F7)
#   cortex-m33  -mcpu=cortex-m33 -mfpu=fpv5-sp-d16 -mfloat-abi=hard (mps2-an505)
#   cortex-m4   -mcpu=cortex-m4 -mfpu=fpv4-sp-d16 -mfloat-abi=hard
# Every object of an image (runtime, port, application) must share these flags, so they are set here as
# the language defaults rather than per target.
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR arm)

set(TINYOPS_CPU "cortex-m7" CACHE STRING "Cortex-M core the firmware is built for")
set_property(CACHE TINYOPS_CPU PROPERTY STRINGS cortex-m7 cortex-m33 cortex-m4)
# try_compile projects re-read this file; pass the choice on to them.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES TINYOPS_CPU)

if(TINYOPS_CPU STREQUAL "cortex-m7")
  set(_tinyops_cpu_flags "-mcpu=cortex-m7 -mfpu=fpv5-d16 -mfloat-abi=hard")
elseif(TINYOPS_CPU STREQUAL "cortex-m33")
  set(_tinyops_cpu_flags "-mcpu=cortex-m33 -mfpu=fpv5-sp-d16 -mfloat-abi=hard")
elseif(TINYOPS_CPU STREQUAL "cortex-m4")
  set(_tinyops_cpu_flags "-mcpu=cortex-m4 -mfpu=fpv4-sp-d16 -mfloat-abi=hard")
else()
  message(FATAL_ERROR "arm-none-eabi.cmake: TINYOPS_CPU='${TINYOPS_CPU}' is not one of cortex-m7, cortex-m33, cortex-m4")
endif()

find_program(TINYOPS_ARM_GCC arm-none-eabi-gcc)
if(NOT TINYOPS_ARM_GCC)
  message(FATAL_ERROR "arm-none-eabi.cmake: arm-none-eabi-gcc not found (Debian: apt-get install gcc-arm-none-eabi "
                      "libnewlib-arm-none-eabi libstdc++-arm-none-eabi-dev; scripts/setup.sh does this)")
endif()
set(CMAKE_C_COMPILER arm-none-eabi-gcc)
set(CMAKE_CXX_COMPILER arm-none-eabi-g++)
set(CMAKE_ASM_COMPILER arm-none-eabi-gcc)
set(CMAKE_OBJCOPY arm-none-eabi-objcopy CACHE FILEPATH "objcopy for .bin images")
set(CMAKE_SIZE arm-none-eabi-size CACHE FILEPATH "size for image reports")
# No host libraries can link for the target: compiler checks build a static library instead.
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)

# Dead code and data go away at link time (-ffunction-sections + --gc-sections); the runtime is
# freestanding C++ without exceptions, RTTI or thread-safe statics.
set(_tinyops_common "${_tinyops_cpu_flags} -mthumb -ffunction-sections -fdata-sections -fno-common")
set(CMAKE_C_FLAGS_INIT "${_tinyops_common}")
set(CMAKE_CXX_FLAGS_INIT
    "${_tinyops_common} -fno-exceptions -fno-rtti -fno-threadsafe-statics -fno-use-cxa-atexit")
set(CMAKE_ASM_FLAGS_INIT "${_tinyops_common}")
# newlib-nano for the few libc functions used (memcpy, memset); nosys stubs for the syscalls nobody calls.
set(CMAKE_EXE_LINKER_FLAGS_INIT "${_tinyops_cpu_flags} -mthumb --specs=nano.specs --specs=nosys.specs -Wl,--gc-sections")

# Release keeps CMake's -O3; RelWithDebInfo gets -O3 too (its default is -O2).
set(CMAKE_C_FLAGS_RELWITHDEBINFO_INIT "-O3 -g")
set(CMAKE_CXX_FLAGS_RELWITHDEBINFO_INIT "-O3 -g")

set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
