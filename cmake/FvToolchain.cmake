# Compiler settings: warnings, ccache (made to work with precompiled headers), output folders.
set(CMAKE_RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/bin)
add_compile_options(-Wall -Wextra -Wno-unused-parameter)

if(FV_USE_CCACHE)
  find_program(FV_CCACHE ccache)
  if(FV_CCACHE)
    # ccache only caches PCH users with these sloppiness flags; BASEDIR makes fresh clones hit the cache.
    set(CMAKE_CXX_COMPILER_LAUNCHER
        ${CMAKE_COMMAND} -E env
        CCACHE_SLOPPINESS=pch_defines,time_macros,include_file_mtime,include_file_ctime
        CCACHE_BASEDIR=${CMAKE_SOURCE_DIR} ${FV_CCACHE})
    message(STATUS "fv: compiling through ccache (${FV_CCACHE})")
  endif()
endif()
