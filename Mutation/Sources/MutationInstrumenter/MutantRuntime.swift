// The run-time selector that `smtp-mutate` adds to the instrumented copy of
// a module, as Swift source. It is never part of the module's own sources (the
// vendorable parser imports nothing but the standard library; this file
// imports the C library for getenv and atexit).

public enum MutantRuntime {
    public static let fileName = "__MutantSwitch.swift"

    /// The helpers the instrumented code calls. Each mutation site asks
    /// `__mutantOffset(first, count)` which of its mutants, if any, is on.
    /// Every helper is `@inlinable` (the parser's own inlinable code calls them)
    /// and costs one well-predicted branch when no mutant is on.
    public static func source(mutantCount: Int) -> String {
        """
        // Written by smtp-mutate into an instrumented copy of this module (mutation
        // switching): SMTP_MUTANT=<id> turns one mutant on, read once at the first
        // mutation site reached; SMTP_MUTANT_TRACE=<file> records which mutants' sites
        // ran (one byte per id, written at exit) so that only the checks that reach a
        // mutant run for it. Not part of the module's sources.
        #if canImport(Glibc)
        import Glibc
        #elseif canImport(Musl)
        import Musl
        #elseif canImport(Darwin)
        import Darwin
        #endif

        @usableFromInline let __mutantCount = \(mutantCount)
        /// The mutant that is on (0: none), or -1 before SMTP_MUTANT was read.
        @usableFromInline nonisolated(unsafe) var __mutantActive: Int = -1
        @usableFromInline nonisolated(unsafe) var __mutantTrace: UnsafeMutablePointer<UInt8>? = nil
        nonisolated(unsafe) var __mutantTracePath: UnsafeMutablePointer<CChar>? = nil

        @usableFromInline @inline(never) func __mutantLoad() -> Int {
            var active = 0
            if let value = getenv("SMTP_MUTANT") { active = Int(String(cString: value)) ?? 0 }
            if __mutantTrace == nil, let path = getenv("SMTP_MUTANT_TRACE") {
                __mutantTracePath = strdup(path)
                let trace = UnsafeMutablePointer<UInt8>.allocate(capacity: __mutantCount + 1)
                trace.initialize(repeating: 0, count: __mutantCount + 1)
                __mutantTrace = trace
                atexit { __mutantWriteTrace() }
            }
            __mutantActive = active
            return active
        }

        func __mutantWriteTrace() {
            guard let trace = __mutantTrace, let path = __mutantTracePath, let file = fopen(path, "wb") else { return }
            _ = fwrite(trace, 1, __mutantCount + 1, file)
            fclose(file)
        }

        /// Which of the site's mutants `first ..< first + count` is on: its offset, or -1.
        @inlinable @inline(__always) func __mutantOffset(_ first: Int, _ count: Int) -> Int {
            var active = __mutantActive
            if active < 0 { active = __mutantLoad() }
            if let trace = __mutantTrace {
                for i in 0..<count { trace[first &+ i] = 1 }
            }
            let offset = active &- first
            return offset >= 0 && offset < count ? offset : -1
        }

        /// Statement deletion: the statement runs unless its mutant is on.
        @inlinable @inline(__always) func __mutKeep(_ id: Int) -> Bool { __mutantOffset(id, 1) != 0 }

        @inlinable @inline(__always) func __mutLT<T: Comparable>(_ id: Int, _ a: T, _ b: T) -> Bool {
            __mutantOffset(id, 1) == 0 ? a <= b : a < b
        }
        @inlinable @inline(__always) func __mutLE<T: Comparable>(_ id: Int, _ a: T, _ b: T) -> Bool {
            __mutantOffset(id, 1) == 0 ? a < b : a <= b
        }
        @inlinable @inline(__always) func __mutGT<T: Comparable>(_ id: Int, _ a: T, _ b: T) -> Bool {
            __mutantOffset(id, 1) == 0 ? a >= b : a > b
        }
        @inlinable @inline(__always) func __mutGE<T: Comparable>(_ id: Int, _ a: T, _ b: T) -> Bool {
            __mutantOffset(id, 1) == 0 ? a > b : a >= b
        }

        /// `&&` ↔ `||`, the right operand still evaluated only when needed.
        @inlinable @inline(__always) func __mutAnd(_ id: Int, _ a: Bool, _ b: @autoclosure () -> Bool) -> Bool {
            __mutantOffset(id, 1) == 0 ? (a || b()) : (a && b())
        }
        @inlinable @inline(__always) func __mutOr(_ id: Int, _ a: Bool, _ b: @autoclosure () -> Bool) -> Bool {
            __mutantOffset(id, 1) == 0 ? (a && b()) : (a || b())
        }

        /// A condition negated, made true, or made false (each id 0 when that variant is not planted).
        @inlinable @inline(__always) func __mutCond(_ negate: Int, _ isTrue: Int, _ isFalse: Int, _ c: Bool) -> Bool {
            var active = __mutantActive
            if active < 0 { active = __mutantLoad() }
            if let trace = __mutantTrace {
                trace[negate] = 1
                trace[isTrue] = 1
                trace[isFalse] = 1
            }
            if active == 0 { return c }
            if active == negate { return !c }
            if active == isTrue { return true }
            if active == isFalse { return false }
            return c
        }

        /// A literal and its replacements (ids `first`, `first + 1`, ...).
        @inlinable @inline(__always) func __mutValue1<T>(_ first: Int, _ v: T, _ a: T) -> T {
            __mutantOffset(first, 1) == 0 ? a : v
        }
        @inlinable @inline(__always) func __mutValue2<T>(_ first: Int, _ v: T, _ a: T, _ b: T) -> T {
            switch __mutantOffset(first, 2) {
            case 0: return a
            case 1: return b
            default: return v
            }
        }
        @inlinable @inline(__always) func __mutValue3<T>(_ first: Int, _ v: T, _ a: T, _ b: T, _ c: T) -> T {
            switch __mutantOffset(first, 3) {
            case 0: return a
            case 1: return b
            case 2: return c
            default: return v
            }
        }

        """
    }
}
