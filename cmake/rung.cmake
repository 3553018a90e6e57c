# Settings every rung build shares. A phase's CMakeLists.txt includes this file, so a phase
# configures on its own (cmake -S phase1-namespaces -B /tmp/p1) as well as from the top level.
include_guard(GLOBAL)

set(RUNG_VERSION "0.1.0")
set(CMAKE_CXX_STANDARD 20)
set(CMAKE_CXX_STANDARD_REQUIRED ON)
set(CMAKE_CXX_EXTENSIONS OFF)
set(CMAKE_EXPORT_COMPILE_COMMANDS ON)
if(NOT CMAKE_BUILD_TYPE AND NOT CMAKE_CONFIGURATION_TYPES)
    set(CMAKE_BUILD_TYPE RelWithDebInfo)
endif()

option(RUNG_WERROR "Treat compiler warnings as errors (the test build turns this on)" OFF)
add_compile_options(-Wall -Wextra)
if(RUNG_WERROR)
    add_compile_options(-Werror)
endif()

# RUNG_SANITIZE=address,undefined (make test-asan): every target of the tree, common/, the phases,
# the unit tests and the tools, built with those sanitizers. UB is fatal (-fno-sanitize-recover),
# so a finding fails the test that met it instead of scrolling past; frame pointers keep the
# reports' stacks whole. Empty (the default) builds without them.
set(RUNG_SANITIZE "" CACHE STRING "Sanitizers to build with, e.g. address,undefined (empty: none)")
if(RUNG_SANITIZE)
    add_compile_options(-fsanitize=${RUNG_SANITIZE} -fno-omit-frame-pointer
                        -fno-sanitize-recover=all)
    add_link_options(-fsanitize=${RUNG_SANITIZE})
endif()

if(NOT TARGET rung_common)
    add_subdirectory(${CMAKE_CURRENT_LIST_DIR}/../common ${CMAKE_BINARY_DIR}/common)
endif()

# rung_phase(N NAME SOURCES...): the phase's binary, named `rung`, in this phase's build dir.
# Everything but main.cpp is compiled once, into the static library rung_phaseN_core, which the
# binary and the phase's unit tests (tests/unit) link: a test pulls in only the files it calls,
# and nothing is compiled twice. The core links rung_common but not rung_sys, so that a test can
# link the fake sys (tests/unit/fake_sys.hpp) in its place.
# With RUNG_FAULT_TWINS (on by default; the tests use them), the same objects are linked a second
# time with the live fault points (rung/fault.hpp), as faults/phaseN-NAME/rung: one more link.
option(RUNG_FAULT_TWINS "Also link each phase with live fault points, faults/<phase>/rung (tests)" ON)
function(rung_phase number name)
    set(target rung_phase${number})
    set(core ${ARGN})
    list(FILTER core EXCLUDE REGEX "(^|/)main\\.cpp$")
    add_library(${target}_core STATIC ${core})
    target_include_directories(${target}_core PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
    target_link_libraries(${target}_core PUBLIC rung_common)
    add_library(${target}_main OBJECT main.cpp)
    target_compile_definitions(${target}_main PRIVATE RUNG_PHASE="${number}-${name}")
    target_link_libraries(${target}_main PRIVATE ${target}_core)
    add_executable(${target} $<TARGET_OBJECTS:${target}_main>)
    set_target_properties(${target} PROPERTIES OUTPUT_NAME rung)
    target_link_libraries(${target} PRIVATE ${target}_core rung_fault_off rung_common rung_sys)
    if(RUNG_FAULT_TWINS)
        get_filename_component(dir ${CMAKE_CURRENT_BINARY_DIR} NAME)
        add_executable(${target}_faults $<TARGET_OBJECTS:${target}_main>)
        set_target_properties(${target}_faults PROPERTIES OUTPUT_NAME rung
                              RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/faults/${dir})
        target_link_libraries(${target}_faults PRIVATE ${target}_core rung_fault rung_common
                              rung_sys)
    endif()
endfunction()
