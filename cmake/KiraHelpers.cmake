# kira_library(NAME SRCS ... DEPS ...): a static library for one subsystem.
# Dependencies are explicit (absl/status/CMakeLists.txt style): a subsystem can
# include only what it links, which is how the layering in style.md is enforced.
function(kira_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow
                         -Wconversion -Wno-sign-conversion -Wnon-virtual-dtor)
  if(KIRA_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()

function(kira_library name)
  cmake_parse_arguments(K "" "" "SRCS;DEPS;PUBLIC_DEPS" ${ARGN})
  add_library(${name} STATIC ${K_SRCS})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(${name} PUBLIC ${K_PUBLIC_DEPS} PRIVATE ${K_DEPS})
  kira_warnings(${name})
endfunction()

# kira_test(NAME SRCS ... DEPS ...): a GoogleTest executable registered with ctest.
function(kira_test name)
  cmake_parse_arguments(K "" "" "SRCS;DEPS;LABELS" ${ARGN})
  add_executable(${name} ${K_SRCS})
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/src ${PROJECT_SOURCE_DIR}/tests)
  target_link_libraries(${name} PRIVATE ${K_DEPS} GTest::gtest GTest::gmock GTest::gtest_main)
  target_compile_definitions(${name} PRIVATE KIRA_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
  kira_warnings(${name})
  gtest_discover_tests(${name} DISCOVERY_MODE PRE_TEST
                       PROPERTIES ENVIRONMENT "KIRA_SOURCE_DIR=${PROJECT_SOURCE_DIR}"
                       ${K_LABELS})
endfunction()
