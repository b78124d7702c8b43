#!/usr/bin/env bash
# Puts MNIST under data/mnist/ (git-ignored) for configs/mnist.ini and scripts/mnist-experiments.sh: the four
# official files (60,000 training and 10,000 test digits, gzip'ed IDX). Takes them from a local copy when one is
# given or found (FV_MNIST_SOURCE, default ../shared/data/mnist beside the checkout), otherwise downloads them from
# FV_MNIST_URL. Every file is checked against the SHA-256 of its uncompressed bytes (the official files), so a
# recompressed copy passes and a corrupt or different one is refused. Idempotent: checked files are kept.
#
#   scripts/fetch-mnist.sh            # -> data/mnist/{train,t10k}-{images-idx3,labels-idx1}-ubyte.gz
set -euo pipefail
cd "$(dirname "$0")/.."
dest=data/mnist
source_dir=${FV_MNIST_SOURCE:-../shared/data/mnist}
url=${FV_MNIST_URL:-https://ossci-datasets.s3.amazonaws.com/mnist}
declare -A sha256=(
  [train-images-idx3-ubyte]=ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db
  [train-labels-idx1-ubyte]=65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5
  [t10k-images-idx3-ubyte]=0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7
  [t10k-labels-idx1-ubyte]=ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2
)
checks() { [[ -f $1 ]] && [[ $(gzip -dc "$1" 2>/dev/null | sha256sum | cut -c1-64) == "$2" ]]; }
mkdir -p "$dest"
for name in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
  file=$dest/$name.gz
  want=${sha256[$name]}
  checks "$file" "$want" && continue
  tmp=$file.partial
  if [[ -f $source_dir/$name.gz ]]; then
    cp "$source_dir/$name.gz" "$tmp"
  else
    echo "fetch-mnist: downloading $url/$name.gz"
    curl -fsSL --retry 3 -o "$tmp" "$url/$name.gz" || { rm -f "$tmp"; echo "fetch-mnist: cannot download $name.gz" >&2; exit 3; }
  fi
  checks "$tmp" "$want" || { rm -f "$tmp"; echo "fetch-mnist: $name.gz does not match the official file's SHA-256" >&2; exit 4; }
  mv "$tmp" "$file"
done
echo "fetch-mnist: MNIST in $dest (checked)"
