# Compiler options shared by every target of the project.
add_library(rapport_options INTERFACE)
target_compile_options(rapport_options INTERFACE -Wall -Wextra -Wpedantic -Wshadow
                                                 -Wnon-virtual-dtor -Wold-style-cast)
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
    # Two GCC 12 false positives once inlining is on: std::string concatenation at -O3
    # (-Wrestrict, GCC bug 105651), and Asio's coroutine frames, allocated and freed by the
    # same class-specific operators (-Wmismatched-new-delete).
    target_compile_options(rapport_options INTERFACE -Wno-restrict -Wno-mismatched-new-delete)
endif()
if(RAPPORT_WERROR)
    target_compile_options(rapport_options INTERFACE -Werror)
endif()
if(RAPPORT_SANITIZE)
    target_compile_options(rapport_options INTERFACE -fsanitize=address,undefined
                                                     -fno-omit-frame-pointer -fno-sanitize-recover=all)
    target_link_options(rapport_options INTERFACE -fsanitize=address,undefined)
endif()
if(RAPPORT_FUZZ)
    # Everything is instrumented for coverage; only the fuzz targets link libFuzzer's main.
    # clang 14's -fsanitize=function cannot compile C++20 coroutines ("Cannot represent a
    # difference across sections" in https_client.cpp), so that one check is left out.
    target_compile_options(rapport_options INTERFACE -fsanitize=fuzzer-no-link,address,undefined
                                                     -fno-sanitize=function
                                                     -fno-omit-frame-pointer)
    target_link_options(rapport_options INTERFACE -fsanitize=address,undefined)
endif()
target_include_directories(rapport_options INTERFACE ${PROJECT_SOURCE_DIR})

# rapport_embed(OUT VAR FILE) writes a C++ source defining `std::string_view VAR()` that returns
# the contents of FILE, so data the binary needs (the sentiment lexicon) cannot go missing at
# run time.
function(rapport_embed out function_name file)
    set(gen "${CMAKE_CURRENT_BINARY_DIR}/${function_name}.cpp")
    add_custom_command(
        OUTPUT "${gen}"
        COMMAND ${CMAKE_COMMAND} -DIN=${file} -DOUT=${gen} -DFUNCTION=${function_name}
                -P "${PROJECT_SOURCE_DIR}/cmake/embed_file.cmake"
        DEPENDS "${file}" "${PROJECT_SOURCE_DIR}/cmake/embed_file.cmake"
        COMMENT "Embedding ${file}")
    set(${out} "${gen}" PARENT_SCOPE)
endfunction()
