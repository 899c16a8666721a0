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
harnesses="parser framer differential grammar session kernel server-pipeline"

# The server-pipeline harness links clientid-server's module: SwiftNIO, two
# BoringSSL copies (swift-nio-ssl, swift-crypto) and GRDB (needs libsqlite3-dev,
# installed by the Dockerfiles), all built with the sanitizers: most of the build time.
if command -v precompile_swift >/dev/null 2>&1; then
    # OSS-Fuzz's base-builder-swift: sets SWIFTFLAGS for $SANITIZER.
    . precompile_swift
else
    # Outside OSS-Fuzz's image (scripts/oss-fuzz-check.sh): the sanitizer flags in
    # both forms (SwiftPM sometimes drops one, see docs/toolchain.md), exactly as
    # scripts/fuzz-ci.sh and smtp-fuzz pass them, so that the check can reuse
    # their build (SMTP_FUZZ_SCRATCH). precompile_swift's -parse-as-library is
    # left out here: no harness file is main.swift.
    SWIFTFLAGS="--sanitize=fuzzer --sanitize=${SANITIZER:-address} -Xswiftc -sanitize=fuzzer,${SANITIZER:-address}"
fi
scratch="${SMTP_FUZZ_SCRATCH:-$WORK/fuzz-build}"

cd "$project/Fuzz"
for harness in $harnesses; do
    # shellcheck disable=SC2086
    swift build -c release $SWIFTFLAGS --scratch-path "$scratch" --product "fuzz-$harness"
done

bin="$(swift build -c release --scratch-path "$scratch" --show-bin-path)"
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
