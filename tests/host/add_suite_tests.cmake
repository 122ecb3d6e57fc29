# Run after each host test executable is built (cmake -P): asks the executable for its doctest test suites and
# writes one ctest test per suite, "<prefix>: <suite>", to OUTPUT (read by ctest through TEST_INCLUDE_FILES).
# One process per suite rather than per test case: each sanitized process costs ~0.1 s to start and to scan for
# leaks at exit, which per test case would make the suite slow.
#   -D EXECUTABLE=... -D PREFIX=... -D OUTPUT=...
function(list_doctest what filter out_entries out_count)
  execute_process(COMMAND ${EXECUTABLE} ${what} ${filter} OUTPUT_VARIABLE output RESULT_VARIABLE result)
  if(NOT result EQUAL 0)
    message(FATAL_ERROR "${EXECUTABLE} ${what} failed (${result}):\n${output}")
  endif()
  string(REPLACE "\n" ";" lines "${output}")
  set(entries)
  set(count 0)
  foreach(line IN LISTS lines)
    if(line MATCHES "^\\[doctest\\] unskipped test cases passing the current filters: ([0-9]+)")
      set(count ${CMAKE_MATCH_1})
    elseif(NOT line STREQUAL "" AND NOT line MATCHES "^=+$" AND NOT line MATCHES "^\\[doctest\\]")
      list(APPEND entries "${line}")
    endif()
  endforeach()
  set(${out_entries} "${entries}" PARENT_SCOPE)
  set(${out_count} ${count} PARENT_SCOPE)
endfunction()

list_doctest(--list-test-suites "" suites unused)
list_doctest(--list-test-cases "" unused all_cases)
string(REPLACE ";" "," suite_filter "${suites}")
list_doctest(--list-test-cases "--test-suite=${suite_filter}" unused cases_in_suites)
if(NOT all_cases EQUAL cases_in_suites)
  message(FATAL_ERROR "${EXECUTABLE}: ${all_cases} test cases but only ${cases_in_suites} in a TEST_SUITE; "
    "put every test case in a suite (or ctest would not run it)")
endif()

set(script "")
foreach(suite IN LISTS suites)
  set(test "${PREFIX}: ${suite}")
  string(APPEND script "add_test([==[${test}]==] [==[${EXECUTABLE}]==] [==[--test-suite=${suite}]==])\n")
  string(APPEND script "set_tests_properties([==[${test}]==] PROPERTIES ENVIRONMENT "
    "\"ASAN_OPTIONS=detect_leaks=1;UBSAN_OPTIONS=print_stacktrace=1\")\n")
endforeach()
file(WRITE ${OUTPUT} "${script}")
