// Starting tools and harnesses, reading their output line by line.

import Foundation

/// Runs a command to completion; returns its exit status and combined output.
/// `echo` receives each output line as it arrives (for the build step).
@discardableResult
func runTool(
    _ executable: String, _ arguments: [String], environment: [String: String] = [:], directory: String? = nil,
    timeout: TimeInterval? = nil, echo: ((String) -> Void)? = nil
) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    process.standardInput = FileHandle.nullDevice
    let collector = LineCollector(onLine: echo)
    pipe.fileHandleForReading.readabilityHandler = { handle in
        let data = handle.availableData
        if data.isEmpty { handle.readabilityHandler = nil } else { collector.append(data) }
    }
    try process.run()
    let deadline = timeout.map { Date().addingTimeInterval($0) }
    while process.isRunning {
        if let deadline, Date() > deadline {
            process.terminate()
            break
        }
        Thread.sleep(forTimeInterval: 0.05)
    }
    process.waitUntilExit()
    pipe.fileHandleForReading.readabilityHandler = nil
    collector.append(pipe.fileHandleForReading.readDataToEndOfFile())
    collector.finish()
    return (process.terminationStatus, collector.text)
}

/// Collects output and hands out complete lines; thread-safe (pipe handlers run on another thread).
final class LineCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()
    private var partial = Data()
    private let onLine: ((String) -> Void)?

    init(onLine: ((String) -> Void)?) { self.onLine = onLine }

    func append(_ chunk: Data) {
        guard !chunk.isEmpty else { return }
        lock.lock()
        data.append(chunk)
        partial.append(chunk)
        var lines: [String] = []
        while let newline = partial.firstIndex(of: 0x0A) {
            lines.append(String(decoding: partial[partial.startIndex..<newline], as: UTF8.self))
            partial.removeSubrange(partial.startIndex...newline)
        }
        lock.unlock()
        if let onLine { for line in lines { onLine(line) } }
    }

    func finish() {
        lock.lock()
        let rest = partial
        partial = Data()
        lock.unlock()
        if !rest.isEmpty, let onLine { onLine(String(decoding: rest, as: UTF8.self)) }
    }

    var text: String {
        lock.lock()
        defer { lock.unlock() }
        return String(decoding: data, as: UTF8.self)
    }
}

/// The toolchain's own tools, which sit beside swiftc (Debian's older llvm-cov
/// comes first on PATH and cannot read Swift's profiles: docs/toolchain.md).
public enum Toolchain {
    public static func directory() -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin"
        for folder in path.split(separator: ":") {
            let candidate = "\(folder)/swiftc"
            if FileManager.default.isExecutableFile(atPath: candidate) {
                return URL(fileURLWithPath: candidate).resolvingSymlinksInPath().deletingLastPathComponent().path
            }
        }
        return nil
    }

    public static func tool(_ name: String) -> String? {
        guard let folder = directory() else { return nil }
        let path = "\(folder)/\(name)"
        return FileManager.default.isExecutableFile(atPath: path) ? path : nil
    }

    public static var swift: String { tool("swift") ?? "/usr/bin/env" }
}
