#!/usr/bin/env bash
# Builds the CUDA parts (training, embedding, verification, evaluation, their benchmarks and tests) on a GPU
# machine that has a CUDA LibTorch 2.x but no network, no OpenCV and no dlib: FV_WITH_VISION=OFF, so detection,
# alignment and packing (fv-synth, fv-align) stay on CPU machines and the GPU machine reads their RecordIO output.
#
# The GPU machine this was written for (shared/MACHINE-NOTES.md, "The GPU machine"): Ubuntu 24.04, g++ 13, CMake 4,
# CUDA 13, Python 3.12 with the torch 2.11 (cu130) wheel, whose LibTorch CMake config is found through
# `python3 -c 'import torch; print(torch.utils.cmake_prefix_path)'`; libhdf5-dev 1.10.10, libfmt-dev 9.1, GoogleTest,
# libjpeg, libpng; Boost 1.83 headers only. What it lacks is brought as Debian 12 .debs, unpacked (dpkg-deb -x,
# no root, no apt) into a private prefix that comes before the system paths:
#   libboost1.74-dev libboost-program-options1.74-dev libboost-program-options1.74.0   (Boost.Program_options)
#   nlohmann-json3-dev                                                                 (if the machine lacks it)
#   libbenchmark-dev libbenchmark1debian                   (optional: the google-benchmark kernel programs)
# Steps:
#   1. On a Debian 12 machine with apt access:   scripts/build-gpu.sh --fetch-boost DEBS
#      (apt-get download of the packages above into DEBS, ~12 MB; no root needed), then copy DEBS over.
#   2. On the GPU machine:                        scripts/build-gpu.sh --deb-dir DEBS [--test]
#
# Options:
#   --build-dir DIR      build folder (default build-gpu)
#   --torch-prefix DIR   LibTorch's CMake prefix (default: torch.utils.cmake_prefix_path of python3's torch)
#   --deb-dir DIR        folder of .debs to unpack into DIR/../<build>/deps (Boost.PO etc.); or
#   --boost-prefix DIR   an already unpacked prefix (holding usr/include/boost and usr/lib/<arch>)
#   --cuda-arch LIST     TORCH_CUDA_ARCH_LIST for torch's CMake config (default 9.0 = H100; "8.0" A100, ...)
#   --targets "T ..."    build only these targets (default: everything the no-vision build has)
#   --test               run ctest afterwards (the CUDA_ tests run only where a GPU is visible)
#   --tests-regex RE     with --test: only the tests matching RE
#   --jobs N             parallel jobs (default nproc)
# Notes on the traps it avoids (see cmake/FvDependencies.cmake):
#   - fmt is used header-only everywhere: torch 2.11 bundles fmt 12 headers that shadow the system fmt 9, and
#     linking the compiled libfmt next to them fails.
#   - Boost.Program_options comes from the private prefix (-DFV_BOOST_PREFIX), whose CMake config (Boost_DIR)
#     names its own 1.74 headers, so they are not mixed with the system's 1.83 headers.
#   - No Gloo: the torch wheel has NCCL but no Gloo headers; nothing here needs either.
#   - CMake 4 refuses configs that ask for policies older than 3.5: CMAKE_POLICY_VERSION_MINIMUM=3.5 is passed.
#   - Nothing is downloaded: configure and build work without network.
# The same script runs on a CPU machine with Debian's LibTorch (--torch-prefix /usr/lib/x86_64-linux-gnu/cmake),
# which is how its logic is checked where no GPU is at hand.
set -euo pipefail
cd "$(dirname "$0")/.."

build=build-gpu
torch_prefix=""
deb_dir=""
boost_prefix=""
cuda_arch=${TORCH_CUDA_ARCH_LIST:-9.0}
targets=""
run_tests=0
tests_regex=""
jobs=$(nproc)
fetch_dir=""

die() { echo "build-gpu.sh: $*" >&2; exit 2; }
while [[ $# -gt 0 ]]; do
  case "$1" in
    --fetch-boost) fetch_dir=${2:?--fetch-boost needs a folder}; shift 2 ;;
    --build-dir) build=$2; shift 2 ;;
    --torch-prefix) torch_prefix=$2; shift 2 ;;
    --deb-dir) deb_dir=$2; shift 2 ;;
    --boost-prefix) boost_prefix=$2; shift 2 ;;
    --cuda-arch) cuda_arch=$2; shift 2 ;;
    --targets) targets=$2; shift 2 ;;
    --test) run_tests=1; shift ;;
    --tests-regex) tests_regex=$2; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    -h|--help) sed -n '2,40p' "$0"; exit 0 ;;
    *) die "unknown option '$1' (see --help)" ;;
  esac
done

# --- helper mode: fetch the .debs on a Debian 12 machine with apt access ----------------------------------------
if [[ -n "$fetch_dir" ]]; then
  command -v apt-get >/dev/null || die "--fetch-boost needs apt-get (a Debian 12 machine with package access)"
  mkdir -p "$fetch_dir"
  (cd "$fetch_dir" && apt-get download libboost1.74-dev libboost-program-options1.74-dev \
     libboost-program-options1.74.0 nlohmann-json3-dev libbenchmark-dev libbenchmark1debian)
  echo "build-gpu.sh: fetched into $fetch_dir:"
  ls -l "$fetch_dir"/*.deb
  echo "copy the folder to the GPU machine and run: scripts/build-gpu.sh --deb-dir <folder>"
  exit 0
fi

# --- LibTorch -------------------------------------------------------------------------------------------------------
if [[ -z "$torch_prefix" ]]; then
  torch_prefix=$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)' 2>/dev/null) ||
    die "no --torch-prefix and python3 cannot import torch (pass the folder that holds Torch/TorchConfig.cmake's parent)"
fi
[[ -f "$torch_prefix/Torch/TorchConfig.cmake" ]] || die "'$torch_prefix' holds no Torch/TorchConfig.cmake"
torch_lib=$(cd "$torch_prefix/../.." && pwd)/lib   # the pip wheel: torch/share/cmake -> torch/lib
has_cuda=0
if ls "$torch_lib"/libtorch_cuda.so >/dev/null 2>&1; then has_cuda=1; fi
echo "build-gpu.sh: LibTorch CMake prefix $torch_prefix ($([[ $has_cuda == 1 ]] && echo CUDA || echo CPU only))"

# --- the private prefix (Boost.Program_options, nlohmann_json, Google Benchmark) -------------------------------------
if [[ -n "$deb_dir" ]]; then
  ls "$deb_dir"/*.deb >/dev/null 2>&1 || die "--deb-dir '$deb_dir' holds no .deb files (make them with --fetch-boost)"
  command -v dpkg-deb >/dev/null || die "dpkg-deb is needed to unpack '$deb_dir'"
  boost_prefix="$(mkdir -p "$build" && cd "$build" && pwd)/deps"
  rm -rf "$boost_prefix"
  mkdir -p "$boost_prefix"
  for deb in "$deb_dir"/*.deb; do dpkg-deb -x "$deb" "$boost_prefix"; done
  echo "build-gpu.sh: unpacked $(ls "$deb_dir"/*.deb | wc -l) .debs into $boost_prefix"
fi
prefix_path="$torch_prefix"
cmake_args=()
if [[ -n "$boost_prefix" ]]; then
  boost_prefix=$(cd "$boost_prefix" && pwd)
  ls "$boost_prefix"/usr/lib/*/libboost_program_options.so* >/dev/null 2>&1 ||
    ls "$boost_prefix"/lib/libboost_program_options.so* >/dev/null 2>&1 ||
    die "'$boost_prefix' holds no libboost_program_options (unpack libboost-program-options1.74-dev and ...1.74.0)"
  prefix_path="$boost_prefix/usr;$prefix_path"  # first: its packages win over same-named system ones
  cmake_args+=(-DFV_BOOST_PREFIX="$boost_prefix")
elif ! ls /usr/lib/*/libboost_program_options.so /usr/lib/libboost_program_options.so >/dev/null 2>&1; then
  die "this machine has no compiled Boost.Program_options: run 'scripts/build-gpu.sh --fetch-boost DIR' on a Debian 12
machine with apt access, copy DIR here and pass --deb-dir DIR"
fi

# --- configure ------------------------------------------------------------------------------------------------------
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
cmake_major=$(cmake --version | sed -n '1s/[^0-9]*\([0-9]*\)\..*/\1/p')
[[ "${cmake_major:-3}" -ge 4 ]] && cmake_args+=(-DCMAKE_POLICY_VERSION_MINIMUM=3.5)
if [[ $has_cuda == 1 ]]; then
  export TORCH_CUDA_ARCH_LIST="$cuda_arch"
  cmake_args+=(-DTORCH_CUDA_ARCH_LIST="$cuda_arch" -DCMAKE_CUDA_ARCHITECTURES="${cuda_arch//./}")
  if ! command -v nvcc >/dev/null && [[ -x /usr/local/cuda/bin/nvcc ]]; then
    cmake_args+=(-DCMAKE_CUDA_COMPILER=/usr/local/cuda/bin/nvcc -DCUDAToolkit_ROOT=/usr/local/cuda)
  fi
fi
set -x
cmake -S . -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release -DFV_WITH_VISION=OFF \
  -DCMAKE_PREFIX_PATH="$prefix_path" "${cmake_args[@]}"
# --- build ----------------------------------------------------------------------------------------------------------
if [[ -n "$targets" ]]; then
  # shellcheck disable=SC2086
  cmake --build "$build" -j "$jobs" --target $targets
else
  cmake --build "$build" -j "$jobs"
fi
{ set +x; } 2>/dev/null
echo "build-gpu.sh: built into $build/bin:"
ls "$build/bin"
if [[ $run_tests == 1 ]]; then
  ctest --test-dir "$build" --output-on-failure -j "$jobs" --timeout 900 ${tests_regex:+-R "$tests_regex"}
fi
echo "build-gpu.sh: done. Benchmarks: scripts/benchmarks.sh --build-dir $build --no-build --device cuda --full"
