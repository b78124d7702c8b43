#!/usr/bin/env bash
# scripts/check-layering.sh: passes on the checkout's src/, and on a small tree names each breaking include with
# its file and line (a stage including another stage, a library including a stage, core including a library)
# while allowing a stage to include libraries and its own folder; and a folder using another folder's namespace.
set -euo pipefail
src=${FV_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$src"
fail() { echo "FAIL: $*" >&2; exit 1; }
scripts/check-layering.sh >/dev/null || fail "the checkout's src/ breaks the layering rule"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp"/{core,face,train,eval,verify}
printf '#include "core/error.h"\n#include "face/warp.h"\n' >"$tmp/core/a.h"
printf '#include "train/x.h"\n' >"$tmp/face/b.cpp"
printf '#include "core/error.h"\n#include "face/warp.h"\n#include "train/y.h"\n' >"$tmp/train/c.cpp"
printf '// a comment\n  #include "eval/pairs.h"\n#include <vector>\n' >"$tmp/verify/d.cpp"
printf 'namespace fv::eval {\n}  // namespace fv::eval\nnamespace fv::face {\n}\nnamespace fv::detail {\n}\n' >"$tmp/face/e.h"
if scripts/check-layering.sh "$tmp" >"$tmp/out" 2>&1; then fail "a tree with three breaking includes passed"; fi
for expected in "$tmp/core/a.h:2:" "$tmp/face/b.cpp:1:" "$tmp/verify/d.cpp:2:" "$tmp/face/e.h:1:" "4 include(s) or namespace(s) break"; do
  grep -qF "$expected" "$tmp/out" || { cat "$tmp/out"; fail "missing: $expected"; }
done
grep -q "train/c.cpp" "$tmp/out" && { cat "$tmp/out"; fail "a stage's own headers and libraries were refused"; }
grep -qF "core/a.h:1:" "$tmp/out" && fail "core including core was refused"
grep -qE "face/e.h:(3|5):" "$tmp/out" && fail "a folder's own namespace or fv::detail was refused"
echo PASS
