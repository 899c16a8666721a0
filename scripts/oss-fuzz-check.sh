#!/usr/bin/env bash
# Runs oss-fuzz/build.sh the way OSS-Fuzz does, without Docker: $SRC, $OUT,
# $WORK and the sanitizer variables point at temporary folders, the project
# is linked in as $SRC/smtp-clientid-toolkit. Then every harness it produced
# runs for a few seconds on its seed corpus with its dictionary, as
# ClusterFuzz would. Fails when a harness is missing, crashes or finds a bug.
# Usage: scripts/oss-fuzz-check.sh [seconds per harness, default 5]
set -euo pipefail
. "$(dirname "$0")/help.sh"
root="$(cd "$(dirname "$0")/.." && pwd)"
seconds="${1:-5}"
command -v zip >/dev/null || { echo "zip is required (apt-get install zip)" >&2; exit 1; }

base="$(mktemp -d)"
trap 'rm -rf "$base"' EXIT
export SRC="$base/src" OUT="$base/out" WORK="$root/.build-ossfuzz-work"
# build.sh builds into $WORK/fuzz-build unless SMTP_FUZZ_SCRATCH names another
# folder. Its local flags are scripts/fuzz-ci.sh's, so CI points it at
# Fuzz/.build-fuzz and the sanitizer build of SwiftNIO, BoringSSL and the rest
# (the server-pipeline harness) is done once per CI run, not twice.
export SMTP_FUZZ_SCRATCH="${SMTP_FUZZ_SCRATCH:-$root/Fuzz/.build-fuzz}"
mkdir -p "$SRC" "$OUT" "$WORK"
ln -s "$root" "$SRC/smtp-clientid-toolkit"
export SANITIZER=address FUZZING_ENGINE=libfuzzer ARCHITECTURE=x86_64 FUZZING_LANGUAGE=swift
export LIB_FUZZING_ENGINE="-fsanitize=fuzzer"
export SANITIZER_FLAGS_address="-fsanitize=address -fsanitize-address-use-after-scope"
export CFLAGS="$SANITIZER_FLAGS_address" CXXFLAGS="$SANITIZER_FLAGS_address"

echo "== build.sh (SRC=$SRC OUT=$OUT WORK=$WORK)"
bash "$root/oss-fuzz/build.sh"

echo "== produced in \$OUT:"
ls -1 "$OUT" | grep -v smtp-grammar
status=0
for binary in "$OUT"/fuzz-*; do
    case "$binary" in *.dict|*.zip|*.options) continue ;; esac
    name="$(basename "$binary")"
    corpus="$base/corpus-$name"
    mkdir -p "$corpus"
    [ -f "$OUT/${name}_seed_corpus.zip" ] && unzip -q -o "$OUT/${name}_seed_corpus.zip" -d "$corpus"
    dict=()
    [ -f "$OUT/$name.dict" ] && dict=(-dict="$OUT/$name.dict")
    # The options ClusterFuzz would apply from <harness>.options: [libfuzzer]
    # as flags, [asan] as ASAN_OPTIONS.
    asan="symbolize=1"
    if [ -f "$OUT/$name.options" ]; then
        section=""
        while IFS='=' read -r key value; do
            case "$key" in
                '') ;;
                \[*) section="$key" ;;
                *) if [ "$section" = "[asan]" ]; then asan="$asan:$key=$value"; else dict+=("-$key=$value"); fi ;;
            esac
        done < "$OUT/$name.options"
    fi
    echo "== $name: ${seconds}s"
    if ! (cd "$OUT" && ASAN_OPTIONS="$asan" SWIFT_BACKTRACE=enable=no SMTP_FUZZ_PACKAGE_ROOT="$OUT/smtp-grammar" \
            "./$name" "${dict[@]}" -max_total_time="$seconds" -print_final_stats=1 "$corpus" 2>"$base/$name.log"); then
        echo "$name FAILED:" >&2
        tail -30 "$base/$name.log" >&2
        status=1
    else
        grep -E "stat::number_of_executed_units|stat::peak_rss_mb" "$base/$name.log" | sed 's/^/   /'
    fi
done
exit $status
