// Builds the sanitizer harnesses one after another on a background thread,
// cheapest first, so that each target starts fuzzing as soon as its own
// harness exists: the parser-level targets need no NIO and are ready in a
// few minutes, while server-pipeline's build (SwiftNIO, BoringSSL) goes on
// beside them. One SwiftPM build at a time: they share one scratch folder.

import Foundation
import FuzzProperties

final class HarnessBuilds: @unchecked Sendable {
    enum State: Equatable {
        case waiting
        /// The latest progress line of SwiftPM ("[812/1404] Compiling NIOCore ...").
        case building(String)
        case built(seconds: Int)
        case failed(String)
    }

    private let lock = NSLock()
    private var states: [FuzzTarget: State]
    private let order: [FuzzTarget]
    private let arguments: (FuzzTarget) -> [String]
    private let logFolder: String
    private var thread: Thread?

    init(targets: [FuzzTarget], logFolder: String, arguments: @escaping (FuzzTarget) -> [String]) {
        order = targets
        self.arguments = arguments
        self.logFolder = logFolder
        states = Dictionary(uniqueKeysWithValues: targets.map { ($0, .waiting) })
    }

    func state(_ target: FuzzTarget) -> State {
        lock.lock()
        defer { lock.unlock() }
        return states[target] ?? .waiting
    }

    var allDone: Bool {
        lock.lock()
        defer { lock.unlock() }
        return states.values.allSatisfy {
            if case .built = $0 { return true }
            if case .failed = $0 { return true }
            return false
        }
    }

    private func set(_ target: FuzzTarget, _ state: State) {
        lock.lock()
        states[target] = state
        lock.unlock()
    }

    func start() {
        let thread = Thread { [self] in
            for target in order { build(target) }
        }
        thread.stackSize = 1 << 20
        self.thread = thread
        thread.start()
    }

    private func build(_ target: FuzzTarget) {
        let started = Date()
        set(target, .building("starting"))
        let log = "\(logFolder)/build-\(target.rawValue).log"
        var result: (status: Int32, output: String) = (1, "")
        for attempt in 1...3 {
            result =
                (try? runTool(
                    Toolchain.swift, arguments(target),
                    echo: { line in
                        if line.hasPrefix("[") || line.contains("Compiling") || line.contains("Linking") {
                            self.set(target, .building(line))
                        }
                    })) ?? (1, "could not start swift build")
            // Others editing the sources while we build make SwiftPM stop with
            // "was modified during the build": build again, like a person would.
            guard result.status != 0, result.output.contains("was modified during the build"), attempt < 3 else { break }
            Thread.sleep(forTimeInterval: 5)
        }
        try? Data(("$ swift " + arguments(target).joined(separator: " ") + "\n" + result.output).utf8).write(
            to: URL(fileURLWithPath: log))
        if result.status == 0 {
            set(target, .built(seconds: Int(Date().timeIntervalSince(started))))
        } else {
            let error =
                result.output.split(separator: "\n").first { $0.contains("error:") }.map(String.init) ?? "exit \(result.status)"
            set(target, .failed("\(error) (see \(log))"))
        }
    }
}
