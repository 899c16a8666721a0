#!/usr/bin/env bash
# Runs the parser benchmarks from Benchmarks/ (a nested package):
#   1. parser-throughput: every workload over the same generated corpus in one
#      run, printing the ratio table the README reports;
#   2. parser-throughput --automata-alone: the parser's time per line beside
#      its line automata's alone (the floor under this design), per command kind;
#   3. the committed malloc thresholds (zero per parsed command on the success
#      path, zero per command through SMTPSession.receive) with package-benchmark's
#      `thresholds check`.
# Usage: scripts/benchmarks.sh [--quick]   (--quick: 200,000 lines, 3 runs)
set -euo pipefail
. "$(dirname "$0")/help.sh"
cd "$(dirname "$0")/../Benchmarks"
lines=1000000
repeats=5
if [ "${1:-}" = "--quick" ]; then lines=200000; repeats=3; fi

echo "== machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(swift --version 2>&1 | head -1)"
echo "== parser-throughput (release build)"
swift build -c release --product parser-throughput
.build/release/parser-throughput --lines "$lines" --repeat "$repeats"

echo
echo "== the floor: each line's command automaton alone, beside the whole parser"
.build/release/parser-throughput --lines "$lines" --repeat "$repeats" --automata-alone

echo
echo "== malloc thresholds (Benchmarks/Thresholds)"
swift package benchmark thresholds check --filter 'ParserSuccessPath.*|HarnessOverhead.*|SessionReceive.*' --no-progress
