# Runs a firmware image under QEMU and checks its exit status and console, for runs that are meant to
# fail in a precise way (a rejected blob must say why and exit with the runner's status, never hang or
# fault).
#   cmake -DQEMU=... -DMACHINE=... -DELF=... [-DLOADER=file@addr] -DEXPECT_EXIT=n -DEXPECT_OUTPUT=regex -P check_run.cmake
set(loader)
if(LOADER)
  string(REPLACE "@" ";" parts "${LOADER}")
  list(GET parts 0 file)
  list(GET parts 1 address)
  set(loader -device loader,file=${file},addr=${address})
endif()
execute_process(
    COMMAND ${QEMU} -M ${MACHINE} -nographic -monitor none -serial null
            -semihosting-config enable=on,target=native -icount shift=0 -kernel ${ELF} ${loader}
    TIMEOUT 60 RESULT_VARIABLE status OUTPUT_VARIABLE output ERROR_VARIABLE output)
message("${output}")
if(NOT status EQUAL EXPECT_EXIT)
  message(FATAL_ERROR "check_run: exit status ${status}, expected ${EXPECT_EXIT}")
endif()
if(NOT output MATCHES "${EXPECT_OUTPUT}")
  message(FATAL_ERROR "check_run: the console does not match '${EXPECT_OUTPUT}'")
endif()
