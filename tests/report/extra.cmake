# Report tests: libpng decodes the figures to check their size and pixels.
# Included from the root CMakeLists right after add_executable(eden_test_report ...).
find_package(PNG REQUIRED)
target_link_libraries(eden_test_report PRIVATE PNG::PNG)
