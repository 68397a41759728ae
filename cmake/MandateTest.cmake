# mandate_unit_test(NAME SOURCES... LIBS...): a GoogleTest binary registered with CTest under the
# label `unit` (the set the sanitizer build runs).
function(mandate_unit_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_LIBS} GTest::gtest GTest::gtest_main GTest::gmock)
  add_test(NAME ${name} COMMAND ${name} WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
  set_tests_properties(${name} PROPERTIES LABELS unit TIMEOUT 600)
  set_property(GLOBAL APPEND PROPERTY MANDATE_UNIT_TESTS ${name})
endfunction()

# `unit_tests` builds every unit test binary and nothing else (the sanitizer build in CI).
function(mandate_unit_tests_target)
  get_property(tests GLOBAL PROPERTY MANDATE_UNIT_TESTS)
  add_custom_target(unit_tests DEPENDS ${tests})
endfunction()

# mandate_integration_test(NAME SCRIPT [TIMEOUT s]): a bash script that drives the real
# build/mandate binary and real peers. It gets the binary path as $1 and runs from the repo root.
function(mandate_integration_test name script)
  cmake_parse_arguments(ARG "" "TIMEOUT" "" ${ARGN})
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 600)
  endif()
  add_test(NAME ${name} COMMAND bash ${CMAKE_SOURCE_DIR}/${script} $<TARGET_FILE:mandate>
           WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
  set_tests_properties(${name} PROPERTIES LABELS integration TIMEOUT ${ARG_TIMEOUT}
                       ENVIRONMENT "MANDATE_BIN=$<TARGET_FILE:mandate>;MANDATE_SHARED=${CMAKE_SOURCE_DIR}/../shared")
endfunction()

# Every executable target at or below `dir`, except those under bench/ and fuzz/.
function(mandate_collect_executables dir out)
  get_property(targets DIRECTORY ${dir} PROPERTY BUILDSYSTEM_TARGETS)
  get_property(subdirs DIRECTORY ${dir} PROPERTY SUBDIRECTORIES)
  set(found)
  foreach(t IN LISTS targets)
    get_target_property(type ${t} TYPE)
    get_target_property(source_dir ${t} SOURCE_DIR)
    if(type STREQUAL "EXECUTABLE" AND NOT source_dir MATCHES "^${CMAKE_SOURCE_DIR}/(bench|fuzz)")
      list(APPEND found ${t})
    endif()
  endforeach()
  foreach(d IN LISTS subdirs)
    mandate_collect_executables(${d} sub)
    list(APPEND found ${sub})
  endforeach()
  set(${out} ${found} PARENT_SCOPE)
endfunction()

# `integration_tests` builds what the integration tests run (the mandate binary and the test
# drivers) and no unit test: CI runs the unit tests in the sanitizer build only, so the release
# build does not compile them a second time.
function(mandate_integration_tests_target)
  get_property(unit GLOBAL PROPERTY MANDATE_UNIT_TESTS)
  mandate_collect_executables(${CMAKE_SOURCE_DIR} executables)
  set(deps)
  foreach(t IN LISTS executables)
    if(NOT t IN_LIST unit)
      list(APPEND deps ${t})
    endif()
  endforeach()
  add_custom_target(integration_tests DEPENDS ${deps})
endfunction()
