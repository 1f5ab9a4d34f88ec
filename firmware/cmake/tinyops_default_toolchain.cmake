# Included by the port projects before project(): the arm-none-eabi toolchain file unless the caller
# chose another one (-DCMAKE_TOOLCHAIN_FILE=...).
if(NOT CMAKE_TOOLCHAIN_FILE)
  set(CMAKE_TOOLCHAIN_FILE ${CMAKE_CURRENT_LIST_DIR}/arm-none-eabi.cmake)
endif()
