#!/bin/bash -eu
# OSS-Fuzz / ClusterFuzzLite build script for smtp-clientid-toolkit.
# Builds every libFuzzer harness of Fuzz/ with the fuzzer and address
# sanitizers, and copies into $OUT, per harness: the binary, its dictionary
# (<harness>.dict) and a zipped seed corpus (<harness>_seed_corpus.zip),
# following OSS-Fuzz's layout for Swift projects, and <harness>.options. The differential harness
# also needs the grammar files at run time: they go to $OUT/smtp-grammar and
# the harnesses find them there (SMTP_FUZZ_PACKAGE_ROOT, or next to the binary).
#
# Run locally with scripts/oss-fuzz-check.sh, which sets $SRC, $OUT, $WORK,
# $SANITIZER, $LIB_FUZZING_ENGINE, ... as OSS-Fuzz does.

project="$SRC/smtp-clientid-toolkit"
harnesses="parser framer differential grammar"

if command -v precompile_swift >/dev/null 2>&1; then
    # OSS-Fuzz's base-builder-swift: sets SWIFTFLAGS for $SANITIZER.
    . precompile_swift
else
    # Outside OSS-Fuzz's image: the flags precompile_swift sets for address,
    # in both forms (SwiftPM sometimes drops one, see TOOLCHAIN notes).
    SWIFTFLAGS="-Xswiftc -parse-as-library --sanitize=fuzzer --sanitize=${SANITIZER:-address} -Xswiftc -sanitize=fuzzer,${SANITIZER:-address}"
fi

cd "$project/Fuzz"
for harness in $harnesses; do
    # shellcheck disable=SC2086
    swift build -c release $SWIFTFLAGS --scratch-path "$WORK/fuzz-build" --product "fuzz-$harness"
done

bin="$(swift build -c release --scratch-path "$WORK/fuzz-build" --show-bin-path)"
mkdir -p "$OUT/smtp-grammar/Sources"
cp -R "$project/Sources/SMTPCommandParser" "$OUT/smtp-grammar/Sources/"
for harness in $harnesses; do
    cp "$bin/fuzz-$harness" "$OUT/fuzz-$harness"
    if [ -f "$project/Corpus/$harness.dict" ]; then cp "$project/Corpus/$harness.dict" "$OUT/fuzz-$harness.dict"; fi
    # Swift's runtime keeps metadata in allocations LeakSanitizer cannot see
    # as reachable, which it reports as leaks: turn leak detection off per
    # harness (OSS-Fuzz reads <harness>.options).
    printf '[libfuzzer]\ndetect_leaks=0\n[asan]\ndetect_leaks=0\n' > "$OUT/fuzz-$harness.options"
    if [ -d "$project/Corpus/$harness" ]; then
        (cd "$project/Corpus/$harness" && zip -q -r "$OUT/fuzz-${harness}_seed_corpus.zip" .)
    fi
done
