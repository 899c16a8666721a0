#!/usr/bin/env bash
# Runs the parser benchmarks from Benchmarks/ (a nested package):
#   1. parser-throughput: every workload over the same generated corpus in one
#      run, printing which SIMD kernel the CPU check chose and the ratio table
#      the README reports, with the parser on the kernel and on the table
#      automata side by side, for the whole corpus and per command kind;
#   2. parser-throughput --automata-alone: per command kind, the parser on each
#      path beside each line's shuffle form and table automaton alone;
#   3. the committed malloc thresholds (zero per parsed command on the success
#      path on both paths, zero per command through SMTPSession.receive) with
#      package-benchmark's `thresholds check`.
# Usage: scripts/benchmarks.sh [--quick]   (--quick: 200,000 lines, 3 rounds)
set -euo pipefail
. "$(dirname "$0")/help.sh"
cd "$(dirname "$0")/../Benchmarks"
lines=1000000
repeats=5
if [ "${1:-}" = "--quick" ]; then lines=200000; repeats=3; fi

echo "== machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(swift --version 2>&1 | head -1)"
echo "== load average before the runs: $(cut -d' ' -f1-3 /proc/loadavg) (the ratios are taken in one run; a loaded machine lowers them)"
echo "== parser-throughput (release build)"
swift build -c release --product parser-throughput
.build/release/parser-throughput --lines "$lines" --repeat "$repeats"

echo
echo "== per command kind: the parser on each path beside each line's automaton alone"
.build/release/parser-throughput --lines "$lines" --repeat "$repeats" --automata-alone

echo
echo "== malloc thresholds (Benchmarks/Thresholds)"
swift package benchmark thresholds check --filter 'ParserSuccessPath.*|HarnessOverhead.*|SessionReceive.*' --no-progress
