#!/usr/bin/env bash
# Installs every Debian package the project needs; safe to re-run (does nothing when all are present).
#
# Besides the libraries, it gives LibTorch a fast BLAS (OpenBLAS through Debian's alternatives; Debian's
# LibTorch otherwise runs on the reference BLAS) and tcmalloc, which the executables link so that large
# tensors are not handed back to the kernel on every free (see ../shared/MACHINE-NOTES.md: 2-7x on CPU).
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config
  libtorch-dev
  # c10d Gloo backend headers (CPU multi-process data parallelism; src/dist).
  libgloo-dev
  libdlib-dev libdlib-data
  libopencv-dev opencv-data
  libhdf5-dev
  libboost-program-options-dev
  libfmt-dev
  nlohmann-json3-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libopenblas0-pthread libopenblas-pthread-dev
  libgoogle-perftools-dev
  libturbojpeg0-dev libjpeg62-turbo-dev libpng-dev
  # GIF photos (OpenCV 4.6 reads no GIF): fv-align / fv-verify decode them with giflib.
  libgif-dev
  gnuplot-nox
  # The fuzz targets (fuzz/, scripts/fuzz.sh): clang with libFuzzer and the sanitizers' runtimes.
  clang libclang-rt-dev
  # Real photographs used by tests and the demo (no face data ships with the project).
  python3-skimage opencv-doc
  # Reference implementations the tests compare against (ROC/AUC).
  python3-sklearn
  # PyTorch (same 1.13.1 as libtorch-dev): writes iResNet state-dict fixtures for the import tests.
  python3-torch
  # ONNX (fv-import onnx, fv-export onnx): ONNX's protobuf classes for C++; the Python package exports the test
  # models (with python3-torch and PIL) and checks exported files (onnx.checker).
  libonnx-dev python3-onnx python3-pil
  debootstrap
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  echo "install-deps: installing ${#missing[@]} package(s): ${missing[*]}"
  SUDO=""
  if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "install-deps: all ${#packages[@]} packages present"
fi

# OpenBLAS must be the provider of libblas.so.3/liblapack.so.3 that LibTorch and dlib load.
arch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo x86_64-linux-gnu)
for lib in libblas.so.3 liblapack.so.3; do
  target=$(update-alternatives --list "$lib-$arch" 2>/dev/null | grep openblas-pthread || true)
  if [[ -n "$target" ]]; then
    current=$(readlink -f "/usr/lib/$arch/$lib" || true)
    if [[ "$current" != "$(readlink -f "$target")" ]]; then
      ${SUDO:-} update-alternatives --set "$lib-$arch" "$target" >/dev/null
    fi
  fi
done
echo "install-deps: BLAS is $(readlink -f /usr/lib/$arch/libblas.so.3)"

# dlib's face-descriptor weights from npm (@vladmandic/face-api, MIT), for the imported reference model
# (fv-import dlib), its tests and the demo. Quick when already present; without npm the tests that need
# it are skipped.
# npm: the machine's own when it has one (e.g. NodeSource's nodejs), else Debian's.
if ! command -v npm >/dev/null; then
  echo "install-deps: installing npm"
  SUDO=""
  if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends npm >/dev/null ||
    echo "install-deps: could not install npm" >&2
fi
if command -v npm >/dev/null; then
  bash "$(dirname "$0")/fetch-face-api.sh" || echo "install-deps: fetch-face-api failed; dlib reference-model tests will be skipped" >&2
else
  echo "install-deps: npm not found; dlib reference-model tests will be skipped (see scripts/fetch-face-api.sh)"
fi
