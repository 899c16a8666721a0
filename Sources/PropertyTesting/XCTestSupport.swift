// The XCTest entry point: a property inside an XCTestCase method reports its
// shrunk failure through XCTFail at the line of the `forAll` call, with the
// seed and the command that replays it. (swift-property-based needs Swift
// Testing and traps under XCTest: docs/toolchain.md, Testing.)

#if canImport(XCTest)
import XCTest

extension XCTestCase {
    /// Checks `property` on cases of `gen`. `iterations` is this property's
    /// default; PROPERTY_ITERATIONS overrides it, PROPERTY_SEED fixes the seed.
    @discardableResult
    public func forAll<Value>(
        _ name: String, _ gen: Gen<Value>, iterations: Int = 100,
        file: StaticString = #filePath, line: UInt = #line,
        _ property: (Value) throws -> Verdict
    ) -> PropertyRun<Value> {
        let settings = PropertySettings.fromEnvironment(defaultIterations: iterations)
        let run = checkProperty(name, gen, settings: settings, testFilter: testFilter, property)
        if settings.verbose { print(run.summary) }
        if let failure = run.failure {
            XCTFail(failure.report, file: file, line: line)
        } else if let problem = run.tooManyDiscards {
            XCTFail(problem, file: file, line: line)
        }
        return run
    }

    /// `Module.Class/method`, the form `swift test --filter` takes.
    var testFilter: String {
        let type = String(reflecting: Swift.type(of: self))
        // Linux: "Class.method"; Darwin: "-[Class method]".
        var method = name
        if method.hasPrefix("-[") {
            method = String(method.dropFirst(2).dropLast().split(separator: " ").last ?? "")
        } else if let dot = method.lastIndex(of: ".") {
            method = String(method[method.index(after: dot)...])
        }
        if method.hasSuffix("()") { method = String(method.dropLast(2)) }
        return "\(type)/\(method)"
    }
}
#endif
