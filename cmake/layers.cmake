# THE layer table: one folder of src/ per layer, with the layers its code may include directly.
# A layer may include its own headers and those of every layer reachable through this table;
# nothing else. CMakeLists.txt builds one static library per row (linked in this order) and
# cmake/check_layers.cmake fails the build when an #include in src/ runs against it.
# Data flow: spec -> plan -> variants -> testbed -> runner -> store -> analysis -> report.
# `proto` is the generated KServe v2 / control-service code (not a folder of src/).
set(EDGETIER_LAYERS core strategy metrics graph runtime ops tier testbed store experiment
    analysis report cli)
set(EDGETIER_LAYER_DEPS_core "")
set(EDGETIER_LAYER_DEPS_strategy core)
set(EDGETIER_LAYER_DEPS_metrics strategy)
set(EDGETIER_LAYER_DEPS_graph strategy)
set(EDGETIER_LAYER_DEPS_runtime strategy)
set(EDGETIER_LAYER_DEPS_ops graph runtime metrics)
set(EDGETIER_LAYER_DEPS_tier ops proto)
set(EDGETIER_LAYER_DEPS_testbed tier)
# The store is where the runner writes and analysis reads: below both, and neither sees the other.
set(EDGETIER_LAYER_DEPS_store metrics)
set(EDGETIER_LAYER_DEPS_experiment ops testbed store)
set(EDGETIER_LAYER_DEPS_analysis store graph)
set(EDGETIER_LAYER_DEPS_report analysis)
set(EDGETIER_LAYER_DEPS_cli experiment report)
set(EDGETIER_LAYER_DEPS_proto "")

# Sets OUT to LAYER's dependencies, direct and indirect (LAYER itself not included).
function(edgetier_layer_closure layer out)
  set(seen "")
  set(todo ${EDGETIER_LAYER_DEPS_${layer}})
  while(todo)
    list(POP_FRONT todo dep)
    if(NOT dep IN_LIST seen)
      list(APPEND seen ${dep})
      list(APPEND todo ${EDGETIER_LAYER_DEPS_${dep}})
    endif()
  endwhile()
  set(${out} ${seen} PARENT_SCOPE)
endfunction()
