#!/usr/bin/env bash
# Fails when Sources/SMTPCommandParser/VERIFICATION.md does not describe the
# parser as it is: the record carries a SHA-256 digest of the module's sources
# (every file of its folder but the record and its documentation catalogue, and
# of the local targets it depends on), and `smtp-fuzz check-record` compares it
# with the sources now. After changing the parser, regenerate the record on a
# quiet machine with `swift run -c release smtp-fuzz record` (README.md says how
# long it takes) and commit it. Takes seconds once smtp-fuzz is built (CI's
# `swift build --build-tests` builds it).
set -euo pipefail
. "$(dirname "$0")/help.sh"
cd "$(dirname "$0")/.."
swift run smtp-fuzz check-record
