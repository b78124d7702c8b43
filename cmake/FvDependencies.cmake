# Finds every dependency with find_package and wraps the awkward ones in clean imported targets.
find_package(Threads REQUIRED)

# LibTorch: Debian's 1.13 (CPU) is found with no hints; a CUDA LibTorch 2.x through CMAKE_PREFIX_PATH.
# The fuzz build (FV_FUZZ) compiles no torch code.
if(NOT FV_FUZZ)
  find_package(Torch REQUIRED)
  message(STATUS "fv: LibTorch ${Torch_VERSION} from ${Torch_DIR}")
  add_library(fv::torch INTERFACE IMPORTED)
  target_link_libraries(fv::torch INTERFACE ${TORCH_LIBRARIES})
  if(TORCH_CXX_FLAGS)
    separate_arguments(fv_torch_flags UNIX_COMMAND "${TORCH_CXX_FLAGS}")
    target_compile_options(fv::torch INTERFACE ${fv_torch_flags})
  endif()
endif()

# HDF5 with its C++ API. Debian ships no CMake config; FindHDF5 goes through h5c++. Its extra
# definitions are left out on purpose: they would make torch targets differ from the shared PCH.
find_package(HDF5 REQUIRED COMPONENTS C CXX)
add_library(fv::hdf5 INTERFACE IMPORTED)
target_include_directories(fv::hdf5 SYSTEM INTERFACE ${HDF5_INCLUDE_DIRS})
target_link_libraries(fv::hdf5 INTERFACE ${HDF5_CXX_LIBRARIES} ${HDF5_LIBRARIES})

# Boost.Program_options. FV_BOOST_PREFIX: a private prefix whose program_options wins over the system's (the
# GPU machine has Boost headers but no compiled program_options; scripts/build-gpu.sh unpacks Debian's .debs
# there with dpkg-deb -x). Its CMake config is used when it has one, else a plain find_path/find_library in it.
set(FV_BOOST_PREFIX "" CACHE PATH "private Boost prefix (e.g. Debian boost .debs unpacked by dpkg-deb -x)")
if(FV_BOOST_PREFIX)
  file(GLOB fv_boost_configs "${FV_BOOST_PREFIX}/usr/lib/*/cmake/Boost-*/BoostConfig.cmake"
                             "${FV_BOOST_PREFIX}/usr/lib/cmake/Boost-*/BoostConfig.cmake"
                             "${FV_BOOST_PREFIX}/lib/cmake/Boost-*/BoostConfig.cmake")
  if(fv_boost_configs)
    list(GET fv_boost_configs 0 fv_boost_config)
    get_filename_component(Boost_DIR "${fv_boost_config}" DIRECTORY)
    set(Boost_DIR "${Boost_DIR}" CACHE PATH "Boost CMake config folder" FORCE)
    # BoostConfig looks its components up with HINTS, which come after CMAKE_PREFIX_PATH: pin them to the prefix.
    get_filename_component(fv_boost_cmakedir "${Boost_DIR}" DIRECTORY)
    foreach(fv_comp headers program_options)
      file(GLOB fv_comp_dirs "${fv_boost_cmakedir}/boost_${fv_comp}-*")
      if(fv_comp_dirs)
        list(GET fv_comp_dirs 0 fv_comp_dir)
        set(boost_${fv_comp}_DIR "${fv_comp_dir}" CACHE PATH "Boost component CMake config folder" FORCE)
      endif()
    endforeach()
    find_package(Boost 1.71 REQUIRED COMPONENTS program_options CONFIG NO_DEFAULT_PATH PATHS "${Boost_DIR}")
  else()
    find_path(FV_BOOST_INCLUDE_DIR boost/program_options.hpp PATHS "${FV_BOOST_PREFIX}/usr/include"
              "${FV_BOOST_PREFIX}/include" NO_DEFAULT_PATH REQUIRED)
    find_library(FV_BOOST_PO_LIB NAMES boost_program_options
                 PATHS "${FV_BOOST_PREFIX}/usr/lib/${CMAKE_LIBRARY_ARCHITECTURE}" "${FV_BOOST_PREFIX}/usr/lib"
                       "${FV_BOOST_PREFIX}/lib" NO_DEFAULT_PATH REQUIRED)
    add_library(Boost::program_options UNKNOWN IMPORTED)
    set_target_properties(Boost::program_options PROPERTIES IMPORTED_LOCATION "${FV_BOOST_PO_LIB}"
                          INTERFACE_INCLUDE_DIRECTORIES "${FV_BOOST_INCLUDE_DIR}")
  endif()
  get_target_property(fv_boost_po_where Boost::program_options INTERFACE_INCLUDE_DIRECTORIES)
  message(STATUS "fv: Boost.Program_options from ${FV_BOOST_PREFIX} (headers ${fv_boost_po_where})")
else()
  find_package(Boost 1.71 REQUIRED COMPONENTS program_options)
endif()

# Image decoding without OpenCV (training and embedding on GPU machines): libjpeg(-turbo) and libpng.
find_package(JPEG REQUIRED)
find_package(PNG REQUIRED)
find_package(ZLIB REQUIRED)

# Header-only fmt everywhere: the CUDA LibTorch 2.x wheels bundle fmt headers of another version,
# which break linking against the compiled libfmt (see shared/MACHINE-NOTES.md).
find_package(fmt REQUIRED)

find_package(nlohmann_json 3 REQUIRED)

# ONNX's protobuf classes (libonnx-dev) for fv-import onnx and fv-export onnx. Optional: the GPU machine's build
# (scripts/build-gpu.sh, pip LibTorch) has no Debian ONNX; without it those subcommands are left out.
option(FV_WITH_ONNX "Build fv-import onnx and fv-export onnx (needs libonnx-dev)" ON)
if(FV_WITH_ONNX AND NOT FV_FUZZ)
  find_package(ONNX CONFIG QUIET)
  # The protobuf classes' target: onnx_proto in ONNX 1.12 (Debian 12), ONNX::onnx_proto in 1.17 (Debian 13); both
  # carry the ONNX_NAMESPACE / ONNX_ML definitions the headers need.
  if(ONNX_FOUND AND (TARGET ONNX::onnx_proto OR TARGET onnx_proto))
    add_library(fv::onnx_proto INTERFACE IMPORTED)
    if(TARGET ONNX::onnx_proto)
      target_link_libraries(fv::onnx_proto INTERFACE ONNX::onnx_proto)
    else()
      target_link_libraries(fv::onnx_proto INTERFACE onnx_proto)
    endif()
    message(STATUS "fv: ONNX ${ONNX_VERSION} (fv-import onnx, fv-export onnx)")
  else()
    message(STATUS "fv: ONNX not found (libonnx-dev): fv-import onnx and fv-export onnx are left out")
    set(FV_WITH_ONNX OFF)
  endif()
endif()

if(FV_WITH_VISION)
  find_package(OpenCV 4 REQUIRED COMPONENTS core imgproc imgcodecs calib3d objdetect)
  find_package(dlib REQUIRED)
  # GIF input (OpenCV 4.6 reads no GIF): giflib, Debian's libgif-dev.
  find_package(GIF REQUIRED)
endif()

set(FV_TCMALLOC "")
if(FV_USE_TCMALLOC)
  find_library(FV_TCMALLOC_LIB NAMES tcmalloc_minimal libtcmalloc_minimal.so.4)
  if(FV_TCMALLOC_LIB)
    set(FV_TCMALLOC ${FV_TCMALLOC_LIB})
    message(STATUS "fv: linking executables with ${FV_TCMALLOC_LIB}")
  endif()
endif()

if(FV_BUILD_TESTS)
  find_package(GTest REQUIRED)
  include(GoogleTest)
endif()
if(FV_BUILD_BENCHMARKS)
  # Optional: without it only the google-benchmark kernel programs are left out (the GPU machine lacks it).
  find_package(benchmark QUIET)
  if(NOT benchmark_FOUND)
    message(STATUS "fv: Google Benchmark not found: building only the throughput benchmark programs")
  endif()
endif()

# fv_torch_target(TARGET): links LibTorch and reuses the one precompiled <torch/torch.h>.
if(FV_TORCH_PCH)
  file(WRITE ${CMAKE_BINARY_DIR}/fv_torch_pch.cpp "// Anchor for the shared torch precompiled header.\n")
  add_library(fv_torch_pch OBJECT ${CMAKE_BINARY_DIR}/fv_torch_pch.cpp)
  target_link_libraries(fv_torch_pch PRIVATE fv::torch)
  set_target_properties(fv_torch_pch PROPERTIES POSITION_INDEPENDENT_CODE OFF)
  target_precompile_headers(fv_torch_pch PRIVATE <torch/torch.h>)
endif()
function(fv_torch_target target)
  target_link_libraries(${target} PUBLIC fv::torch)
  if(FV_TORCH_PCH)
    target_precompile_headers(${target} REUSE_FROM fv_torch_pch)
  endif()
endfunction()

# fv_executable(NAME SOURCES... LIBS ...): an executable linked with tcmalloc when available.
function(fv_executable name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_LIBS})
  if(FV_TCMALLOC)
    target_link_libraries(${name} PRIVATE ${FV_TCMALLOC})
  endif()
  install(TARGETS ${name} RUNTIME DESTINATION bin)
endfunction()
