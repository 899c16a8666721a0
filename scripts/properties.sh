#!/usr/bin/env bash
# Runs the property suites (Tests/PropertyTests) with many more cases than
# `swift test` does: every property's default count times PROPERTY_SCALE
# (default 20), with a one-line summary per property (cases, discards, what the
# parser answered). A failure prints the shrunk counterexample, its rule path,
# the seed and the command that replays it. See docs/properties.md.
#
#   scripts/properties.sh                      # scale 20, a fresh seed per property
#   PROPERTY_SCALE=100 scripts/properties.sh   # longer
#   PROPERTY_SEED=0x1234 scripts/properties.sh # one seed for every property
#   scripts/properties.sh NearMissProperties   # one suite (a --filter pattern)
#
# SCRATCH selects the build directory (default .build-props, so a run does not
# lock the default .build of someone else's build).
set -euo pipefail
. "$(dirname "$0")/help.sh"
cd "$(dirname "$0")/.."
scratch="${SCRATCH:-.build-props}"
filter="PropertyTests\\.${1:-}"
export PROPERTY_SCALE="${PROPERTY_SCALE:-20}"
export PROPERTY_VERBOSE="${PROPERTY_VERBOSE:-1}"

swift build --build-tests --scratch-path "$scratch"
start=$(date +%s)
status=0
swift test --skip-build --scratch-path "$scratch" --filter "^$filter" || status=$?
echo "properties: scale ${PROPERTY_SCALE}, $(( $(date +%s) - start )) s, exit ${status}"
exit "$status"
