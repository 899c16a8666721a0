#!/usr/bin/env bash
# Vendors the parser with `abnfc vendor` into a new, empty package, declares
# the targets exactly as abnfc prints them (no flags of any kind), builds the
# package and runs a line through the parser: proves the vendored targets need
# nothing but the Swift standard library, each other and the C compiler's own
# headers.
set -euo pipefail
. "$(dirname "$0")/help.sh"
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/Sources/demo"
(cd "$root" && swift run abnfc vendor "$work/Sources/SMTPCommandParser") > "$work/vendor.log"
tail -n +2 "$work/vendor.log" | grep -v '^copied ' | head -1
declarations=$(sed -n '/^Declare these targets/,$p' "$work/vendor.log" | tail -n +2)
[ -n "$declarations" ] || { echo "abnfc vendor printed no target declarations" >&2; exit 1; }
cat > "$work/Package.swift" <<SWIFT
// swift-tools-version:6.1
import PackageDescription
let package = Package(name: "vendoring-check", targets: [
$declarations
    .executableTarget(name: "demo", dependencies: ["SMTPCommandParser"]),
])
SWIFT
if grep -q unsafeFlags "$work/Package.swift"; then echo "the declarations use unsafe flags" >&2; exit 1; fi
cat > "$work/Sources/demo/main.swift" <<'SWIFT'
import SMTPCommandParser
let line = Array("CLIENTID UUID 23bf83be-aad7-46aa-9e0f-39191ccf402f\r\n".utf8)
let parser = SMTPCommandParser()
guard case .clientID = try parser.parse(line) else { fatalError("not parsed as CLIENTID") }
print("vendored parser works (SIMD kernel: \(parser.kernel?.rawValue ?? "none on this CPU, table automata only"))")
SWIFT
echo "$declarations"
(cd "$work" && swift build 2>&1 | tail -1 && .build/debug/demo)
