#!/usr/bin/env bash
# The layering rule of src/ (README, "Layout"): a stage folder (one executable's code) includes no other stage's
# headers, a library folder includes no stage at all, core/ includes only core/, and a namespace below fv:: is the
# folder's own. Prints every include or namespace that breaks it as file:line: text, and exits 1 if there is one.
#
# Usage: scripts/check-layering.sh [SRC_DIR]   (default: src)
# Run by sh (dash) as well: the rest needs bash.
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
set -euo pipefail
cd "$(dirname "$0")/.."
src=${1:-src}
stages=" align train embed verify eval import export synth "
is_stage() { [[ $stages == *" $1 "* ]]; }

violations=0
while IFS= read -r -d '' file; do
  rel=${file#"$src"/}
  folder=${rel%%/*}
  [[ $rel == */* ]] || continue  # files directly under src/ (none today) belong to no folder
  while IFS=: read -r line text; do
    included=$(sed -E 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"([^/"]+)\/.*/\1/' <<<"$text")
    [[ $included == "$folder" ]] && continue
    why=""
    if [[ $folder == core ]]; then
      why="core/ includes only core/"
    elif is_stage "$included"; then
      if is_stage "$folder"; then why="a stage includes another stage"; else why="a library includes a stage"; fi
    fi
    if [[ -n $why ]]; then
      echo "$file:$line: $text   ($why)"
      violations=$((violations + 1))
    fi
  done < <(grep -nE '^[[:space:]]*#[[:space:]]*include[[:space:]]*"[^/"]+/' "$file" || true)
  # A namespace below fv:: is the folder's own (fv::protocol in protocol/), or detail/log: never another folder's.
  while IFS=: read -r line text; do
    ns=$(sed -E 's/^namespace fv::([a-z_]+).*/\1/' <<<"$text")
    [[ $ns == "$folder" || $ns == detail || $ns == log ]] && continue
    echo "$file:$line: $text   (the namespace of another folder)"
    violations=$((violations + 1))
  done < <(grep -nE '^namespace fv::[a-z_]+' "$file" || true)
done < <(find "$src" -type f \( -name '*.h' -o -name '*.cpp' \) -print0 | sort -z)

if ((violations)); then
  echo "check-layering: $violations include(s) or namespace(s) break the layering rule (stages:$stages)" >&2
  exit 1
fi
echo "check-layering: no stage includes another, no library includes a stage, core/ includes only core/, no folder uses another's namespace"
