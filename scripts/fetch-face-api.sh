#!/usr/bin/env bash
# Obtains dlib's ResNet face-descriptor weights (TensorFlow.js format) from the npm package @vladmandic/face-api.
#
# Set-up only: the pipeline never downloads anything at run time. Usage:
#   scripts/fetch-face-api.sh [CACHE_DIR]        (default: third_party/face-api under the repository root)
# Leaves in CACHE_DIR: face_recognition_model-weights_manifest.json, face_recognition_model.bin, LICENSE
# (the package is MIT-licensed, copyright Vladimir Mandic; the weights are a conversion of dlib's
# dlib_face_recognition_resnet_model_v1, which Davis King released into the public domain) and STAMP (what
# was fetched, its integrity and the sha256 of the extracted files). Idempotent: when STAMP matches the files
# present, it exits at once without calling npm.
#
# The tarball's sha512 is checked twice: against the integrity npm reports for the registry's tarball, and
# against the value pinned below (so a changed package on a mirror is refused, not silently used).
set -euo pipefail

package="@vladmandic/face-api"
version="1.7.15"
pinned_integrity="sha512-WDMmK3CfNLo8jylWqMoQgf4nIst3M0fzx1dnac96wv/dvMTN4DxC/Pq1DGtduDk1lktCamQ3MIDXFnvrdHTXDw=="
files=(model/face_recognition_model-weights_manifest.json model/face_recognition_model.bin LICENSE)

root="$(cd "$(dirname "$0")/.." && pwd)"
dest="${1:-$root/third_party/face-api}"
mkdir -p "$dest"
dest="$(cd "$dest" && pwd)"

stamp_text() {
  echo "package $package@$version"
  echo "integrity $pinned_integrity"
  for f in "${files[@]}"; do
    local name
    name=$(basename "$f")
    echo "sha256 $(sha256sum "$dest/$name" | cut -d' ' -f1) $name"
  done
}

if [[ -f "$dest/STAMP" ]] && stamp_text 2>/dev/null | cmp -s - "$dest/STAMP"; then
  echo "fetch-face-api: $package@$version already in $dest"
  exit 0
fi

command -v npm >/dev/null || { echo "fetch-face-api: npm is not installed (needed once, to fetch $package@$version)" >&2; exit 3; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

reported=$(cd "$work" && npm view "$package@$version" dist.integrity 2>/dev/null | tail -n 1)
if [[ "$reported" != "$pinned_integrity" ]]; then
  echo "fetch-face-api: npm reports integrity '$reported' for $package@$version, expected $pinned_integrity" >&2
  exit 4
fi
(cd "$work" && npm pack "$package@$version" --silent >/dev/null 2>&1) || {
  echo "fetch-face-api: 'npm pack $package@$version' failed (is the registry reachable?)" >&2
  exit 3
}
tarball="$work/vladmandic-face-api-$version.tgz"
[[ -f "$tarball" ]] || { echo "fetch-face-api: npm pack produced no $tarball" >&2; exit 3; }
actual="sha512-$(openssl dgst -sha512 -binary "$tarball" | base64 -w0)"
if [[ "$actual" != "$pinned_integrity" ]]; then
  echo "fetch-face-api: tarball integrity $actual differs from $pinned_integrity" >&2
  exit 4
fi

tar -xzf "$tarball" -C "$work" "${files[@]/#/package/}"
for f in "${files[@]}"; do
  cp "$work/package/$f" "$dest/$(basename "$f")"
done
stamp_text >"$dest/STAMP.tmp"
mv "$dest/STAMP.tmp" "$dest/STAMP"
echo "fetch-face-api: $package@$version (MIT) -> $dest"
