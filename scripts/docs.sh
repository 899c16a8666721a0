#!/usr/bin/env bash
# Builds the DocC documentation of every library product of the root package
# (swift-docc-plugin's `swift package generate-documentation`) with warnings as
# errors: a broken ``Symbol`` or <doc:Article> link, a parameter documented that
# does not exist, or a topic that names nothing fails the run. The libraries are
# read from Package.swift, so a new library is covered without editing this script.
#
# The plugin builds each target in debug before extracting its symbol graph. CI
# runs this right after `swift build --build-tests` in the same build folder, so
# those builds have nothing left to do; run alone, it builds the libraries first
# (NIO and BoringSSL included: DeviceRegistryPostgres and FuzzServerProperties are
# libraries too). The archives land in .build/plugins/Swift-DocC/outputs/.
#
#   scripts/docs.sh                    every library, warnings as errors (what CI runs)
#   scripts/docs.sh TARGET...          only these targets
#   SCRATCH=.build-docs scripts/docs.sh   another build folder (default .build)
set -euo pipefail
. "$(dirname "$0")/help.sh"
cd "$(dirname "$0")/.."
scratch=${SCRATCH:-.build}

if [ "$#" -gt 0 ]; then
    targets=("$@")
else
    targets=()
    while IFS= read -r target; do
        targets+=("$target")
    done < <(swift package --scratch-path "$scratch" dump-package | python3 -c '
import json, sys
package = json.load(sys.stdin)
seen = []
for product in package["products"]:
    if "library" in product["type"]:
        for target in product["targets"]:
            if target not in seen:
                seen.append(target)
print("\n".join(seen))
')
fi
echo "docs: ${#targets[@]} targets: ${targets[*]}"

arguments=()
for target in "${targets[@]}"; do
    arguments+=(--target "$target")
done
start=$(date +%s)
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# docc reports each problem as "warning:" or "error:"; with --warnings-as-errors
# a warning fails docc, and the plugin then fails the command.
if ! swift package --scratch-path "$scratch" generate-documentation "${arguments[@]}" --warnings-as-errors 2>&1 | tee "$log"; then
    echo "docs: FAILED: the problems docc reported:" >&2
    grep -E -A1 '^(warning|error): ' "$log" | grep -v -e '^--$' -e '^Extracting' -e '^Finished' >&2 || true
    exit 1
fi
# docc starts its diagnostics at the beginning of a line; compiler output names a file first.
if grep -qE '^warning: ' "$log"; then
    echo "docs: FAILED: docc warnings above (a warning is a failure here)" >&2
    exit 1
fi
echo "docs: ${#targets[@]} catalogues built without warnings in $(( $(date +%s) - start )) s"
