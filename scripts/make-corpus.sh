#!/usr/bin/env bash
# Regenerates the fuzz seed corpus and dictionaries, deterministically:
#   Corpus/<target>/seed-*   from the grammar (StringGenerator.covering of every
#                            command rule and automaton), the draft's §8 lines and
#                            hostile inputs: `smtp-fuzz seeds`
#   Corpus/<target>.dict     the grammar's literal terminals: `abnfc dict`
# Inputs that campaigns merged in (named by SHA-1) and Corpus/Regressions/ are
# left alone. Run from anywhere; commit the result.
set -euo pipefail
. "$(dirname "$0")/help.sh"
cd "$(dirname "$0")/.."
scratch=.build-fuzzer   # our own build folder, so a concurrent `swift build` is not blocked

swift build --scratch-path "$scratch" --product abnfc >/dev/null
swift build --scratch-path "$scratch" --product smtp-fuzz >/dev/null
bin=$(swift build --scratch-path "$scratch" --show-bin-path)

"$bin/smtp-fuzz" seeds --package-path .

# SMTP literals of the widest profile (every grammar file) for the six SMTP targets;
# ABNF's own syntax (Fuzz/rfc5234-abnf.abnf) for the grammar target.
for target in parser framer differential session kernel server-pipeline; do
    "$bin/abnfc" dict --profile lenient-smtputf8 --output "Corpus/$target.dict"
done
"$bin/abnfc" dict --grammar Fuzz/rfc5234-abnf.abnf --output Corpus/grammar.dict
wc -l Corpus/*.dict
