# Test of cmake/check_layers.cmake: a tree that follows the layer order passes, an include against
# it (and a folder that is no layer) fails the build with the file, the header and the reason.
# Run as: cmake -DSOURCE_DIR=<repo> -DWORK_DIR=<scratch folder> -P check_layers_test.cmake
cmake_minimum_required(VERSION 3.25)
set(tree "${WORK_DIR}/layer_check_tree")
file(REMOVE_RECURSE "${tree}")
file(WRITE "${tree}/src/core/status.h" "#pragma once\n")
file(WRITE "${tree}/src/ops/partition.cpp" "#include \"ops/partition.h\"\n#include \"core/status.h\"\n")
file(WRITE "${tree}/src/ops/partition.h" "#pragma once\n#include <vector>\n")
file(WRITE "${tree}/src/analysis/analyze.cpp" "#include \"store/reader.h\"\n")

function(run_check expect_ok expect_text)
  execute_process(COMMAND "${CMAKE_COMMAND}" "-DSRC_DIR=${tree}/src"
                          -P "${SOURCE_DIR}/cmake/check_layers.cmake"
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(expect_ok AND NOT rc EQUAL 0)
    message(FATAL_ERROR "the check refused a tree that follows the layer order:\n${err}")
  endif()
  if(NOT expect_ok AND rc EQUAL 0)
    message(FATAL_ERROR "the check accepted an include against the layer order")
  endif()
  if(expect_text)
    string(REPLACE "\n" " " flat "${err}")
    string(REGEX REPLACE "[ ]+" " " flat "${flat}")
    string(FIND "${flat}" "${expect_text}" at)
    if(at EQUAL -1)
      message(FATAL_ERROR "expected '${expect_text}' in the check's message, got:\n${err}")
    endif()
  endif()
endfunction()

run_check(TRUE "")
# ops is below the runner: including the experiment layer runs against the flow.
file(APPEND "${tree}/src/ops/partition.cpp" "#include \"experiment/runner.h\"\n")
run_check(FALSE "src/ops/partition.cpp: #include \"experiment/runner.h\": layer 'ops' may not include 'experiment'")
file(WRITE "${tree}/src/ops/partition.cpp" "#include \"ops/partition.h\"\n")
# The runner must not see analysis or report, and analysis must not see the runner.
file(WRITE "${tree}/src/experiment/runner.cpp" "#include \"report/html.h\"\n")
run_check(FALSE "layer 'experiment' may not include 'report'")
file(WRITE "${tree}/src/experiment/runner.cpp" "#include \"store/store.h\"\n")
file(WRITE "${tree}/src/analysis/analyze.cpp" "#include \"experiment/spec.h\"\n")
run_check(FALSE "layer 'analysis' may not include 'experiment'")
file(WRITE "${tree}/src/analysis/analyze.cpp" "#include \"store/reader.h\"\n")
run_check(TRUE "")
# A new folder must be given its place in the table first.
file(WRITE "${tree}/src/pruning/prune.cpp" "#include \"core/status.h\"\n")
run_check(FALSE "src/pruning/ is not a layer: add it to cmake/layers.cmake")
file(REMOVE_RECURSE "${tree}")
