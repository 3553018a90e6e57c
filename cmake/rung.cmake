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

# Fault points (rung/fault.hpp): RUNG_FAULT=<point>[:exit|:kill] fails the runtime at a step.
# For the test build only (tests/oci/05-faults.bats); a release build has none.
option(RUNG_FAULT_INJECTION "Compile in the fault points RUNG_FAULT selects (tests only)" OFF)
if(RUNG_FAULT_INJECTION)
    add_compile_definitions(RUNG_FAULT_INJECTION)
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
function(rung_phase number name)
    set(target rung_phase${number})
    add_executable(${target} ${ARGN})
    set_target_properties(${target} PROPERTIES OUTPUT_NAME rung)
    target_compile_definitions(${target} PRIVATE RUNG_PHASE="${number}-${name}")
    target_link_libraries(${target} PRIVATE rung_common rung_sys)
endfunction()
