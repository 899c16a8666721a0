// The policy file format (docs/policy.md): the commented example loads, and
// mistakes are reported with their path.

import ClientIDPolicy
import ClientIDPolicyYAML
import Foundation
import XCTest

final class PolicyFileTests: XCTestCase {
    static let examplePath = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("docs/policy.example.yaml").path

    func testTheDocumentedExampleLoads() throws {
        let c = try PolicyConfiguration.load(yamlFile: Self.examplePath)
        XCTAssertEqual(c.version, 1)
        XCTAssertEqual(c.types.default, [.systemLog, .authentication])
        XCTAssertEqual(c.types.flags(for: "uuid"), [.systemLog, .userLog, .authentication, .alertOnFailure])
        XCTAssertEqual(c.types.flags(for: "MAC"), [.ignore])
        XCTAssertEqual(c.types.flags(for: "Cookie"), [.debug])
        XCTAssertEqual(c.types.flags(for: "SOMETHING-ELSE"), c.types.default)
        XCTAssertFalse(c.requireClientID.enabled)
        XCTAssertEqual(c.acl.denyTypes, ["DEVICE-ID"])
        XCTAssertEqual(c.acl.allowTokens["LICENSE"], ["BB-1234-5678-9ABC", "BB-2222-3333-4444"])
        XCTAssertEqual(c.revocations.count, 3)
        XCTAssertNil(c.revocations[0].until, "permanent")
        XCTAssertEqual(c.revocations[1].until, Timestamp(rfc3339: "2027-01-01T00:00:00Z"))
        XCTAssertEqual(c.revocations[2].until, Timestamp(rfc3339: "2026-12-31"))
        XCTAssertNil(c.revocations[2].token, "a whole type")
        XCTAssertEqual(c.devices.mode, .learn)
        XCTAssertEqual(c.devices.maxDevices, 5)
        XCTAssertEqual(c.devices.learningPeriod, .days(30))
        XCTAssertEqual(
            c.devices.accounts["alice@example.com"], [.init(type: "UUID", token: "23bf83be-aad7-46aa-9e0f-39191ccf402f")])
        XCTAssertEqual(c.sharedToken.maxAccounts, 3)
        XCTAssertEqual(c.sharedToken.window, .hours(24))
        XCTAssertTrue(c.distantNetworks.enabled)
        XCTAssertEqual(c.limits.perDevice.maxConnections, 5)
        XCTAssertEqual(c.limits.perIP.maxAuthFailures, 20)
        XCTAssertEqual(c.limits.perIP.window, .minutes(15))
        XCTAssertEqual(c.registry.maxEntries, 100_000)
        XCTAssertEqual(c.registry.maxAge, .days(180))
        XCTAssertFalse(c.privacy.logRawTokens)
    }

    /// Draft §9: raw tokens in logs only when the file says so.
    func testPrivacyOptIn() throws {
        XCTAssertFalse(PolicyConfiguration().privacy.logRawTokens, "off by default")
        XCTAssertTrue(try PolicyConfiguration.fromYAML("privacy:\n  logRawTokens: true\n").privacy.logRawTokens)
        XCTAssertFalse(try PolicyConfiguration.fromYAML("privacy: {}\n").privacy.logRawTokens)
    }

    func testEmptyFileIsTheDefaultPolicy() throws {
        XCTAssertEqual(try PolicyConfiguration.fromYAML(""), PolicyConfiguration())
        XCTAssertEqual(try PolicyConfiguration.fromYAML("# nothing\n\n"), PolicyConfiguration())
        XCTAssertEqual(try PolicyConfiguration.fromYAML("version: 1\n"), PolicyConfiguration())
    }

    func testMistakesNameTheirPath() {
        let cases: [(String, String, UInt)] = [
            ("sharedTokn:\n  maxAccounts: 3\n", "unknown key \"sharedTokn\"", #line),
            ("limits:\n  perDevice:\n    maxConection: 3\n", "limits.perDevice", #line),
            ("types:\n  known:\n    UUID: [system-log, typo]\n", "unknown flag", #line),
            ("types:\n  known:\n    DEVICE_ID: [ignore]\n", "not a client-id-type", #line),
            ("acl:\n  denyTokens:\n    UUID: [\"has space\"]\n", "not a client-id-token", #line),
            ("devices:\n  mode: learn\n", "learn mode needs", #line),
            ("devices:\n  mode: sometimes\n", "devices.mode", #line),
            ("sharedToken:\n  window: 3 days\n", "duration", #line),
            ("revocations:\n  - token: x\n", "type", #line),
            ("revocations:\n  - type: UUID\n    until: next tuesday\n", "RFC 3339", #line),
            ("version: 2\n", "only version 1", #line),
            ("limits: [1, 2]\n", "limits", #line),
            ("requireClientID:\n  enabled: [true\n", "not valid YAML", #line),
            ("privacy:\n  logTokens: true\n", "unknown key \"logTokens\"", #line),
            ("privacy:\n  logRawTokens: yes please\n", "privacy", #line),
        ]
        for (yaml, expected, line) in cases {
            XCTAssertThrowsError(try PolicyConfiguration.fromYAML(yaml, file: "policy.yaml"), line: line) { error in
                let text = "\(error)"
                XCTAssertTrue(text.contains(expected), "\(text) should mention \(expected)", line: line)
                // file:line:column: the position of the offending node.
                XCTAssertNotNil(text.firstMatch(of: #/^policy\.yaml:[0-9]+:[0-9]+: /#), text, line: line)
            }
        }
    }

    func testDurationsAndTimes() {
        XCTAssertEqual(PolicyDuration(parsing: "90"), .seconds(90))
        XCTAssertEqual(PolicyDuration(parsing: "15m"), .minutes(15))
        XCTAssertEqual(PolicyDuration(parsing: "2w"), .days(14))
        XCTAssertNil(PolicyDuration(parsing: "-1h"))
        XCTAssertNil(PolicyDuration(parsing: "h"))
        XCTAssertEqual(Timestamp(rfc3339: "1970-01-01T00:00:00Z")?.secondsSinceEpoch, 0)
        XCTAssertEqual(Timestamp(rfc3339: "2027-01-01T00:00:00Z")?.secondsSinceEpoch, 1_798_761_600)
        XCTAssertEqual(Timestamp(rfc3339: "2027-01-01T01:00:00+01:00")?.secondsSinceEpoch, 1_798_761_600)
        XCTAssertEqual(Timestamp(rfc3339: "2027-01-01T00:00:00.250Z")?.secondsSinceEpoch, 1_798_761_600)
        XCTAssertEqual(Timestamp(rfc3339: "2000-02-29")?.description, "2000-02-29T00:00:00Z")
        XCTAssertNil(Timestamp(rfc3339: "2027-13-01"))
        XCTAssertNil(Timestamp(rfc3339: "2027-01-01T00:00:00"))
        XCTAssertEqual(Timestamp(secondsSinceEpoch: 1_798_761_599).description, "2026-12-31T23:59:59Z")
    }

    func testAddresses() {
        XCTAssertEqual(IPAddress("192.0.2.1")?.description, "192.0.2.1")
        XCTAssertEqual(IPAddress("2001:0db8:0000:0000:0000:0000:0000:0001")?.description, "2001:db8::1")
        XCTAssertEqual(IPAddress("::ffff:192.0.2.1"), IPAddress("192.0.2.1"), "IPv4-mapped is IPv4")
        XCTAssertEqual(IPAddress("::")?.description, "::")
        XCTAssertNil(IPAddress("192.0.2.256"))
        XCTAssertNil(IPAddress("01.2.3.4"))
        XCTAssertNil(IPAddress("1::2::3"))
        XCTAssertNil(IPAddress("1:2:3:4:5:6:7:8:9"))
        XCTAssertEqual(IPAddress("192.0.2.77")!.network().description, "192.0.2.0/24")
        XCTAssertEqual(IPAddress("2001:db8:1:2:3:4:5:6")!.network().description, "2001:db8:1:2::/64")
        XCTAssertEqual(NetworkPrefix("2001:db8:1:2::/64"), IPAddress("2001:db8:1:2::99")!.network())
    }
}
