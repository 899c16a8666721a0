#!/usr/bin/env bash
# Lints the Swift sources with swift-format and the repository's .swift-format
# (4 spaces, 130 columns; rules that fight the house style are off there):
# every *.swift under Sources, Tests, Benchmarks, Fuzz and Mutation, except build folders
# and generated code: a file whose header (first 10 lines) carries the line
# `// swift-format-ignore-file`, which `abnfc generate` writes into every file it
# generates (swift-format itself honours the same marker).
# Exits non-zero when there is any finding.
#
#   scripts/format-check.sh            lint (what CI would run)
#   scripts/format-check.sh --fix      rewrite the same files in place, then lint
#   scripts/format-check.sh FILE...    lint only these files
set -euo pipefail
. "$(dirname "$0")/help.sh"
cd "$(dirname "$0")/.."

fix=false
if [ "${1:-}" = "--fix" ]; then
    fix=true
    shift
fi

candidates=()
if [ "$#" -gt 0 ]; then
    candidates=("$@")
else
    while IFS= read -r -d '' file; do
        candidates+=("$file")
    done < <(find Sources Tests Benchmarks Fuzz Mutation \
        \( -name '.build' -o -name '.build-*' -o -name '.build_*' -o -name '.swiftpm' \) -prune \
        -o -name '*.swift' -type f -print0 | sort -z)
fi
files=()
generated=0
for file in ${candidates[@]+"${candidates[@]}"}; do
    if head -n 10 -- "$file" | grep -qx '// swift-format-ignore-file'; then
        generated=$((generated + 1))
    else
        files+=("$file")
    fi
done
if [ "$generated" -gt 0 ]; then
    echo "format-check: $generated generated files skipped (marked // swift-format-ignore-file)"
fi
if [ "${#files[@]}" -eq 0 ]; then
    echo "format-check: no Swift files to check" >&2
    exit 0
fi

if $fix; then
    swift format format --in-place --configuration .swift-format "${files[@]}"
fi
if swift format lint --strict --configuration .swift-format "${files[@]}"; then
    echo "format-check: ${#files[@]} files, no findings"
else
    echo "format-check: findings above (fix with: scripts/format-check.sh --fix)" >&2
    exit 1
fi
