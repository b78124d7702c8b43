#!/usr/bin/env bash
# Builds the project and runs its tests against LibTorch 2.x: Debian 13 (trixie) packages libtorch-dev 2.6, so a
# trixie root folder, made once with debootstrap and entered with chroot, gives a LibTorch-2 build environment on a
# Debian 12 machine. The root folder is cached (FV_TRIXIE_ROOT, default /var/cache/fv/trixie-root): the first run
# downloads ~1.5 GB of packages (about 10 minutes), later runs only build and test. Needs root (debootstrap, chroot,
# mount).
#
#   scripts/check-libtorch2.sh                 # set up or update the root, build into build-trixie/, run ctest
#   scripts/check-libtorch2.sh --setup-only    # only make the root folder (e.g. ahead of time)
#   scripts/check-libtorch2.sh --no-tests      # build only
#   scripts/check-libtorch2.sh --tests REGEX   # build, then only the tests whose names match (ctest -R)
#   scripts/check-libtorch2.sh --targets 'T1 T2' --tests REGEX   # build only those CMake targets (a quick check
#                                              # of a change; CI builds everything)
#
# The source tree is bind-mounted into the root at /src; the build folder is build-trixie/ in the source tree
# (FV_TRIXIE_BUILD_DIR), so ccache and incremental builds work across runs.
set -euo pipefail
cd "$(dirname "$0")/.."
src=$PWD
root=${FV_TRIXIE_ROOT:-/var/cache/fv/trixie-root}
build=${FV_TRIXIE_BUILD_DIR:-build-trixie}
mirror=${FV_DEBIAN_MIRROR:-http://deb.debian.org/debian}
setup_only=0
tests=1
test_regex=
targets=
while (($#)); do
  case "$1" in
    --setup-only) setup_only=1; shift ;;
    --no-tests) tests=0; shift ;;
    --tests) test_regex=$2; shift 2 ;;
    --targets) targets=$2; shift 2 ;;
    --root) root=$2; shift 2 ;;
    -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "check-libtorch2: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
[[ $(id -u) -eq 0 ]] || { echo "check-libtorch2: needs root (debootstrap and chroot)" >&2; exit 2; }

# The packages of the trixie build: the same list as install-deps.sh where trixie has them, plus onnxruntime.
packages=(
  build-essential cmake ninja-build ccache pkg-config
  libtorch-dev libgloo-dev
  libdlib-dev libdlib-data libopencv-dev opencv-data
  libhdf5-dev libboost-program-options-dev libfmt-dev nlohmann-json3-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libopenblas0-pthread libopenblas-pthread-dev libgoogle-perftools-dev
  libturbojpeg0-dev libjpeg62-turbo-dev libpng-dev libgif-dev
  gnuplot-nox python3-skimage opencv-doc python3-sklearn python3-torch
  libonnx-dev python3-onnx python3-pil python3-onnxruntime
)

stamp=$root/.fv-packages
want=$(printf '%s\n' "${packages[@]}" | sort | tr '\n' ' ')
if [[ ! -x $root/usr/bin/apt-get ]]; then
  command -v debootstrap >/dev/null || { apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null; }
  echo "check-libtorch2: debootstrap trixie into $root"
  mkdir -p "$(dirname "$root")"
  rm -rf "$root.partial"
  debootstrap --variant=minbase trixie "$root.partial" "$mirror" >"$(dirname "$root")/debootstrap.log" 2>&1 ||
    { tail -20 "$(dirname "$root")/debootstrap.log" >&2; exit 3; }
  mv "$root.partial" "$root"
fi

mounts=()
cleanup() {
  for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do umount -l "${mounts[i]}" 2>/dev/null || true; done
}
trap cleanup EXIT
bind() {  # bind <host path> <path inside the root>
  mkdir -p "$root$2"
  mount --bind "$1" "$root$2"
  mounts+=("$root$2")
}
mount -t proc proc "$root/proc"; mounts+=("$root/proc")
bind /dev /dev
bind /dev/pts /dev/pts
cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true

if [[ ! -f $stamp || $(cat "$stamp") != "$want" ]]; then
  echo "check-libtorch2: installing ${#packages[@]} packages in the trixie root"
  chroot "$root" /usr/bin/env DEBIAN_FRONTEND=noninteractive bash -c \
    "apt-get update -qq && apt-get install -y -qq --no-install-recommends ${packages[*]} >/dev/null" ||
    { echo "check-libtorch2: apt-get install in the trixie root failed" >&2; exit 3; }
  # OpenBLAS as the BLAS LibTorch loads, as install-deps.sh does on the host.
  chroot "$root" bash -c 'for lib in libblas.so.3 liblapack.so.3; do
      t=$(update-alternatives --list "$lib-x86_64-linux-gnu" 2>/dev/null | grep openblas-pthread || true)
      [[ -n $t ]] && update-alternatives --set "$lib-x86_64-linux-gnu" "$t" >/dev/null; done; true'
  echo "$want" >"$stamp"
fi
torch_version=$(chroot "$root" dpkg-query -W -f='${Version}' libtorch-dev)
echo "check-libtorch2: trixie root ready (libtorch-dev $torch_version)"
((setup_only)) && exit 0

bind "$src" /src
# The shared data folder beside the checkout, when there is one (tests skip without it).
[[ -d $src/../shared ]] && bind "$(cd "$src/../shared" && pwd)" /shared
ccache_dir=${CCACHE_DIR:-$HOME/.cache/ccache}
mkdir -p "$ccache_dir"  # a fresh machine may have none yet
bind "$ccache_dir" /root/.cache/ccache
start=$SECONDS
chroot "$root" /usr/bin/env -i HOME=/root PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8 bash -c "
  set -euo pipefail
  cd /src
  cmake -S . -B $build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build $build -j $(nproc) ${targets:+--target $targets} -- -k 0
"
echo "check-libtorch2: built in $((SECONDS - start)) s"
((tests)) || exit 0
start=$SECONDS
chroot "$root" /usr/bin/env -i HOME=/root PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8 bash -c "
  cd /src && ctest --test-dir $build --output-on-failure -j $(nproc) --timeout 900 ${test_regex:+-R '$test_regex'}
"
echo "check-libtorch2: tests ran in $((SECONDS - start)) s"
