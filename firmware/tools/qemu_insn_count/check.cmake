# Known-answer test of the insn_count plugin: runs app/insn_count_check.cpp's image under QEMU with the
# plugin counting the symbol range of tinyops_counted_loop (202 instructions per call, 3 calls), a mark
# at its entry and a 2-entry profile (the loop's subs and bne, 300 executions each), and checks the report.
#   cmake -DQEMU=... -DMACHINE=... -DELF=... -DPLUGIN=... -DNM=... -DREPORT=... -P check.cmake
execute_process(COMMAND ${NM} -S --defined-only ${ELF} OUTPUT_VARIABLE symbols COMMAND_ERROR_IS_FATAL ANY)
string(REGEX MATCH "([0-9a-f]+) ([0-9a-f]+) [Tt] tinyops_counted_loop" found "${symbols}")
if(NOT found)
  message(FATAL_ERROR "check.cmake: tinyops_counted_loop not in the symbol table of ${ELF}")
endif()
math(EXPR start "0x${CMAKE_MATCH_1}" OUTPUT_FORMAT HEXADECIMAL)
math(EXPR end "0x${CMAKE_MATCH_1} + 0x${CMAKE_MATCH_2}" OUTPUT_FORMAT HEXADECIMAL)
file(REMOVE ${REPORT})
execute_process(
    COMMAND ${QEMU} -M ${MACHINE} -nographic -monitor none -serial null
            -semihosting-config enable=on,target=native -icount shift=0 -kernel ${ELF}
            -plugin ${PLUGIN},range=loop:${start}-${end},mark=entry:${start},profile=2,outfile=${REPORT}
    TIMEOUT 30 RESULT_VARIABLE status)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "check.cmake: QEMU exited with ${status}")
endif()
file(READ ${REPORT} report)
message("${report}")
if(NOT report MATCHES "\nrange loop 606\n")
  message(FATAL_ERROR "check.cmake: expected 'range loop 606' (3 calls x 202 instructions)")
endif()
string(REGEX MATCHALL "\ninsn 0x[0-9a-f]+ 300" hottest "${report}")
list(LENGTH hottest hottest_count)
if(NOT hottest_count EQUAL 2)
  message(FATAL_ERROR "check.cmake: expected the 2 profiled instructions at 300 executions each")
endif()
string(REGEX MATCHALL "mark entry [0-9]+ [0-9]+" entries "${report}")
list(LENGTH entries entry_count)
if(NOT entry_count EQUAL 3)
  message(FATAL_ERROR "check.cmake: expected 3 'mark entry' lines, got ${entry_count}")
endif()
