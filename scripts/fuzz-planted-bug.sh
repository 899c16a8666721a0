#!/usr/bin/env bash
# Planted-bug demonstration (not part of CI): copies the package into a
# temporary folder, plants one bug in the COPY (this work tree is never
# changed), and runs a default-length smtp-fuzz campaign on the copy for the
# target that should catch it: once from the committed corpus, once from an
# empty one. Exits 0 when both campaigns caught the bug.
#   scripts/fuzz-planted-bug.sh framer   LineFramer lets a line one byte over the limit through
#   scripts/fuzz-planted-bug.sh parser   VRFY/EXPN read trailing white space as SMTPUTF8 (lenient)
# Extra arguments go to smtp-fuzz (e.g. --duration 5m).
set -euo pipefail
. "$(dirname "$0")/help.sh"
cd "$(dirname "$0")/.."
plant=${1:-framer}
shift || true
copy="$(mktemp -d -t planted-bug.XXXXXX)/toolkit"
mkdir -p "$copy"
tar -C . --exclude='./.build*' --exclude='./Fuzz/.build*' --exclude='./.fuzz-reports' --exclude='./Benchmarks' \
    --exclude='./.git' -cf - . | tar -C "$copy" -xf -

case "$plant" in
framer)
    file=Sources/SMTPCommandParser/LineFramer.swift
    perl -0pi -e 's/if carried \+ \(end - lineStart\) > maxLineLength \{/if carried + (end - lineStart) > maxLineLength + 1 {/ or die "plant site not found\n"' "$copy/$file"
    ;;
parser)
    file=Sources/SMTPCommandParser/CommandParser.swift
    perl -0pi -e 's/(func hasSMTPUTF8Suffix\(after argument: Range<Int>\) -> Bool \{\n).*?\n    \}\n/$1        argument.upperBound < line.count \&\& line[argument.upperBound] == 0x20\n    }\n/s or die "plant site not found\n"' "$copy/$file"
    ;;
*) echo "usage: $0 framer|parser [smtp-fuzz options]" >&2; exit 2 ;;
esac
echo "Planted in $copy/$file:"
diff -u "$file" "$copy/$file" || true

cd "$copy"
swift build -c release --scratch-path .build-fuzzer --product smtp-fuzz >/dev/null
# Twice: from the committed corpus (the seeds may already hit the bug), then
# from an empty corpus with only the dictionary (the fuzzer has to find it).
caught=0
for run in seeded from-scratch; do
    corpus=Corpus
    if [ "$run" = from-scratch ]; then
        corpus=.planted-empty-corpus
        mkdir -p "$corpus"
        cp "Corpus/$plant.dict" "$corpus/"
    fi
    echo "== $run campaign (corpus: $corpus)"
    started=$(date +%s)
    status=0
    .build-fuzzer/release/smtp-fuzz --target "$plant" --no-coverage --no-merge --fail-on-crash \
        --corpus "$corpus" --report "$copy/.fuzz-reports/$run" $([ "$run" = from-scratch ] && echo --no-build) "$@" || status=$?
    echo "$run: campaign took $(( $(date +%s) - started ))s"
    grep -h "first crash\|^- \*\*" "$copy/.fuzz-reports/$run/report.md" || true
    if [ "$status" = 1 ]; then echo "$run: CAUGHT"; caught=$((caught + 1)); else echo "$run: NOT CAUGHT (exit $status)"; fi
done
[ "$caught" = 2 ]
