# Shared build helpers: every module is one library whose sources are the
# .cpp files of its folder (recursively); files ending in _test.cpp become
# that module's unit-test binary instead. New files need no CMake edit.

function(teamvl_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    target_compile_options(${target} PRIVATE -Wthread-safety)
  endif()
endfunction()

# teamvl_module(NAME <name> [DEPS <targets...>] [EXCLUDE <regex>])
function(teamvl_module)
  cmake_parse_arguments(M "" "NAME;EXCLUDE" "DEPS" ${ARGN})
  file(GLOB_RECURSE srcs CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cpp)
  file(GLOB_RECURSE tests CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*_test.cpp)
  list(REMOVE_ITEM srcs ${tests})
  if(M_EXCLUDE)
    list(FILTER srcs EXCLUDE REGEX "${M_EXCLUDE}")
    list(FILTER tests EXCLUDE REGEX "${M_EXCLUDE}")
  endif()
  set(lib teamvl_${M_NAME})
  if(srcs)
    add_library(${lib} STATIC ${srcs})
    target_include_directories(${lib} PUBLIC ${PROJECT_SOURCE_DIR}/src)
    target_link_libraries(${lib} PUBLIC ${M_DEPS} Threads::Threads)
    teamvl_warnings(${lib})
  else()  # a module whose code arrives in a later issue: headers only so far
    add_library(${lib} INTERFACE)
    target_include_directories(${lib} INTERFACE ${PROJECT_SOURCE_DIR}/src)
    target_link_libraries(${lib} INTERFACE ${M_DEPS} Threads::Threads)
  endif()
  if(TEAMVL_BUILD_TESTS AND tests)
    set(t ${lib}_tests)
    add_executable(${t} ${tests})
    target_link_libraries(${t} PRIVATE ${lib} GTest::gtest GTest::gtest_main)
    teamvl_warnings(${t})
    target_compile_definitions(${t} PRIVATE
      TEAMVL_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
      TEAMVL_FIXTURES_DIR="${PROJECT_SOURCE_DIR}/../shared/fixtures")
    # Tests whose name contains "Slow" get the slow label; the rest are unit.
    gtest_discover_tests(${t} TEST_FILTER "-*Slow*" PROPERTIES LABELS unit
      DISCOVERY_TIMEOUT 60 WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
    gtest_discover_tests(${t} TEST_FILTER "*Slow*" PROPERTIES LABELS slow
      DISCOVERY_TIMEOUT 60 WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
  endif()
endfunction()
