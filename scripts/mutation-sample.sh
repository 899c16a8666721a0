#!/usr/bin/env bash
# A quick mutation check before a full run: the instrumenter's own tests (Mutation/), then a seeded
# sample of the mutants of the parser and its runtime through the same checks as the full run
# (`smtp-fuzz mutants --sample`), failing when the sample's score is below
# MUTATION_MINIMUM (default 90%). The full run, which the verification record
# reports, is `swift run -c release smtp-fuzz mutants` (Mutation/README.md).
#
# Why a threshold below the full run's target (95%): a sample of 40 estimates
# the score to about ±5 points, so a parser whose full score is 97% would fail
# a 95% gate on a sample now and then; 90% fails reliably only when tests were
# lost or new code came without them. The seed defaults to one derived from
# the commit, so the sample changes from commit to commit but a re-run of the
# same commit sees the same mutants.
#   MUTATION_SAMPLE    mutants in the sample (default 40)
#   MUTATION_SEED      the sample's seed (default: from `git rev-parse HEAD`)
#   MUTATION_MINIMUM   the lowest passing score in percent (default 90)
# Extra arguments go to smtp-fuzz mutants (e.g. --fuzz-target parser).
set -euo pipefail
. "$(dirname "$0")/help.sh"
cd "$(dirname "$0")/.."
sample=${MUTATION_SAMPLE:-40}
seed=${MUTATION_SEED:-$(( 16#$(git rev-parse --short=8 HEAD 2>/dev/null || echo 1) ))}
minimum=${MUTATION_MINIMUM:-90}
swift test --package-path Mutation 2>&1 | grep -E "error|failed|Executed .* tests" | tail -3
swift run smtp-fuzz mutants --sample "$sample" --seed "$seed" --minimum-score "$minimum" "$@"
