#!/usr/bin/env bash
# Fuzz gate for CI. Builds every libFuzzer harness of Fuzz/ (release, libFuzzer +
# AddressSanitizer, scratch Fuzz/.build-fuzz), fuzzes each target for
# FUZZ_SECONDS (default 60) starting from Corpus/<target>/ with its dictionary,
# as many at once as there are cores, then replays every input under
# Corpus/Regressions/<target>/ through its harness. Exits 1 if any target
# crashed or broke a property, or any regression input fails.
# Open bugs listed in Corpus/Regressions/KNOWN_FAILURES are skipped on replay
# and passed to the harnesses in SMTP_FUZZ_IGNORE (see Fuzz/README.md).
# Nothing is written into Corpus/: new inputs and crashes go to $FUZZ_OUT.
set -euo pipefail
. "$(dirname "$0")/help.sh"
cd "$(dirname "$0")/.."
start=$(date +%s)
seconds=${FUZZ_SECONDS:-60}
jobs=${FUZZ_JOBS:-$(nproc)}
out=${FUZZ_OUT:-$(mktemp -d -t fuzz-ci.XXXXXX)}
mkdir -p "$out"
targets=(parser framer differential grammar session kernel server-pipeline)
declare -A max_len=([parser]=1100 [framer]=2048 [differential]=513 [grammar]=2048 [session]=4096 [kernel]=1100 [server-pipeline]=4096)
step() { printf '\n== %s (%ss)\n' "$1" "$(( $(date +%s) - start ))"; }

known_files=$(grep -v '^#' Corpus/Regressions/KNOWN_FAILURES 2>/dev/null | awk 'NF {print $1}' || true)
known_symptoms=$(printf '%s\n' $known_files | sed 's|.*/||; s/-[0-9a-f]\{8\}$//' | sort -u | paste -sd, -)
export SWIFT_BACKTRACE=enable=no   # Swift's backtracer confuses ASan (docs/toolchain.md)
export ASAN_OPTIONS=detect_leaks=0:symbolize=1
export SMTP_FUZZ_IGNORE="$known_symptoms"
export SMTP_FUZZ_PACKAGE_ROOT="$PWD"
toolchain=$(dirname "$(readlink -f "$(command -v swiftc)")")
[ -x "$toolchain/llvm-symbolizer" ] && export ASAN_SYMBOLIZER_PATH="$toolchain/llvm-symbolizer"

step "build the harnesses (libFuzzer + ASan)"
for t in "${targets[@]}"; do
    for attempt in 1 2 3; do
        # Both forms of the sanitizer flag, or SwiftPM sometimes passes only one (docs/toolchain.md).
        if swift build -c release --package-path Fuzz --scratch-path Fuzz/.build-fuzz \
            --sanitize=fuzzer --sanitize=address -Xswiftc -sanitize=fuzzer,address \
            --product "fuzz-$t" > "$out/build-$t.log" 2>&1; then break; fi
        if [ "$attempt" = 3 ] || ! grep -q "modified during the build" "$out/build-$t.log"; then
            tail -30 "$out/build-$t.log"; exit 1
        fi
    done
    echo "built fuzz-$t"
done
bin=Fuzz/.build-fuzz/release

step "fuzz each target for ${seconds}s, $jobs at a time (output: $out)"
fuzz() {
    local t=$1
    mkdir -p "$out/$t/corpus" "$out/$t/artifacts"
    local status=0
    "$bin/fuzz-$t" "$out/$t/corpus" "Corpus/$t" -dict="Corpus/$t.dict" -max_len="${max_len[$t]}" \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -detect_leaks=0 -print_final_stats=1 \
        -artifact_prefix="$out/$t/artifacts/" > "$out/$t.log" 2>&1 || status=$?
    echo "$status" > "$out/$t.status"
}
running=0
for t in "${targets[@]}"; do
    if [ "$running" -ge "$jobs" ]; then wait -n || true; running=$((running - 1)); fi
    fuzz "$t" &
    running=$((running + 1))
done
wait
passed=0; failed=0
for t in "${targets[@]}"; do
    status=$(cat "$out/$t.status")
    stats=$(grep -E '^#[0-9]+.*DONE' "$out/$t.log" | tail -1 || true)
    execs=$(grep -E 'stat::number_of_executed_units' "$out/$t.log" | awk '{print $2}' || true)
    if [ "$status" = 0 ]; then
        passed=$((passed + 1)); echo "ok      $t: ${execs:-?} executions; ${stats:-}"
    else
        failed=$((failed + 1)); echo "FAILED  $t (exit $status):"
        grep -E 'PROPERTY VIOLATED|ERROR: |Fatal error|SUMMARY|Test unit written' "$out/$t.log" | head -8 | sed 's/^/    /'
        for f in "$out/$t/artifacts/"*; do
            [ -f "$f" ] && echo "    input (hex): $(head -c 300 "$f" | od -An -tx1 | tr -d ' \n')"
        done
        echo "    save it: cp FILE Corpus/Regressions/$t/<symptom>-<hash> (or run smtp-fuzz, which names and minimises it)"
    fi
done

step "replay Corpus/Regressions/<target>/*"
for t in "${targets[@]}"; do
    files=()
    for f in Corpus/Regressions/"$t"/*; do
        [ -f "$f" ] || continue
        grep -qxF "$t/$(basename "$f")" <<< "$known_files" && { echo "skip    $f (KNOWN_FAILURES)"; continue; }
        files+=("$f")
    done
    [ "${#files[@]}" = 0 ] && continue
    # Given files, a libFuzzer binary runs each once and exits non-zero on the first failure.
    if "$bin/fuzz-$t" -detect_leaks=0 "${files[@]}" > "$out/replay-$t.log" 2>&1; then
        passed=$((passed + 1)); echo "ok      replay $t: ${#files[@]} inputs"
    else
        failed=$((failed + 1)); echo "FAILED  replay $t:"
        grep -E 'Running:|PROPERTY VIOLATED|ERROR: |Fatal error' "$out/replay-$t.log" | tail -4 | sed 's/^/    /'
    fi
done

step "done"
echo "fuzz: $passed passed, $failed failed"
[ "$failed" = 0 ]
