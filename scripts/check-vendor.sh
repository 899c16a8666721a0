#!/usr/bin/env bash
# Vendors the parser module into a new, empty package and builds it there:
# proves the module needs nothing but the Swift standard library.
set -euo pipefail
. "$(dirname "$0")/help.sh"
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/Sources/demo"
cat > "$work/Package.swift" <<'SWIFT'
// swift-tools-version:6.1
import PackageDescription
let package = Package(name: "vendoring-check", targets: [
    .target(name: "SMTPCommandParser", exclude: ["Grammar", "VERIFICATION.md"]),
    .executableTarget(name: "demo", dependencies: ["SMTPCommandParser"]),
])
SWIFT
cat > "$work/Sources/demo/main.swift" <<'SWIFT'
import SMTPCommandParser
let line = Array("CLIENTID UUID 23bf83be-aad7-46aa-9e0f-39191ccf402f\r\n".utf8)
guard case .clientID = try SMTPCommandParser().parse(line) else { fatalError("not parsed as CLIENTID") }
print("vendored parser works")
SWIFT
(cd "$root" && swift run abnfc vendor "$work/Sources/SMTPCommandParser" | tail -1)
(cd "$work" && swift build 2>&1 | tail -1 && .build/debug/demo)
