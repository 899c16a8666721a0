// The instrumented copy is rewritten on every run: files whose content did
// not change must keep their modification time (SwiftPM then rebuilds only
// what changed), and what is no longer wanted must go.

import Foundation
import XCTest

@testable import MutationInstrumenter

final class InstrumentedCopyTests: XCTestCase {
    func testOnlyWhatDiffersIsTouched() throws {
        let fm = FileManager.default
        let root = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("copy-\(UUID().uuidString)")
        let source = root.appendingPathComponent("source")
        let copy = root.appendingPathComponent("copy")
        addTeardownBlock { try? fm.removeItem(at: root) }
        try fm.createDirectory(at: source.appendingPathComponent("Grammar"), withIntermediateDirectories: true)
        try Data("g".utf8).write(to: source.appendingPathComponent("Grammar/g.abnf"))

        try InstrumentedCopy.sync(
            copy,
            [
                "A.swift": .text("let a = 1\n"), "B.swift": .text("let b = 1\n"),
                "Grammar": .link(source.appendingPathComponent("Grammar").path),
            ])
        XCTAssertEqual(try String(contentsOf: copy.appendingPathComponent("A.swift"), encoding: .utf8), "let a = 1\n")
        XCTAssertEqual(
            try String(contentsOf: copy.appendingPathComponent("Grammar/g.abnf"), encoding: .utf8), "g", "through the link")
        let old = Date(timeIntervalSince1970: 1_000_000)
        for name in ["A.swift", "B.swift"] {
            try fm.setAttributes([.modificationDate: old], ofItemAtPath: copy.appendingPathComponent(name).path)
        }
        try Data("stale".utf8).write(to: copy.appendingPathComponent("Stale.swift"))

        try InstrumentedCopy.sync(
            copy,
            [
                "A.swift": .text("let a = 1\n"), "B.swift": .text("let b = 2\n"),
                "Grammar": .link(source.appendingPathComponent("Grammar").path),
            ])
        func modified(_ name: String) throws -> Date {
            try XCTUnwrap(fm.attributesOfItem(atPath: copy.appendingPathComponent(name).path)[.modificationDate] as? Date)
        }
        XCTAssertEqual(try modified("A.swift"), old, "unchanged: not rewritten")
        XCTAssertNotEqual(try modified("B.swift"), old, "changed: rewritten")
        XCTAssertEqual(try String(contentsOf: copy.appendingPathComponent("B.swift"), encoding: .utf8), "let b = 2\n")
        XCTAssertFalse(fm.fileExists(atPath: copy.appendingPathComponent("Stale.swift").path), "not wanted: removed")
        XCTAssertEqual(
            try fm.contentsOfDirectory(atPath: source.appendingPathComponent("Grammar").path), ["g.abnf"],
            "the link's target is left alone")
    }
}
