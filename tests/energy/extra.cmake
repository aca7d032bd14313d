# Energy tests: builds the fake NVML that the tests load through EDEN_NVML_LIBRARY.
# Included from the root CMakeLists right after add_executable(eden_test_energy ...).
add_library(eden_fake_nvml SHARED ${PROJECT_SOURCE_DIR}/tests/energy/fake_nvml.c)
set_target_properties(eden_fake_nvml PROPERTIES C_VISIBILITY_PRESET default)
target_compile_definitions(eden_test_energy PRIVATE
  EDEN_FAKE_NVML_PATH="$<TARGET_FILE:eden_fake_nvml>")
target_link_libraries(eden_test_energy PRIVATE ${CMAKE_DL_LIBS})
add_dependencies(eden_test_energy eden_fake_nvml)
