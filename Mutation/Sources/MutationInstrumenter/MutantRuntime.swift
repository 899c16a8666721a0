// The run-time selector that `smtp-mutate` adds to the instrumented copy of
// a module, as Swift source. It is never part of the module's own sources (the
// vendorable parser imports nothing but the standard library; this file
// imports the C library for getenv, atexit and the trace file).

public enum MutantRuntime {
    public static let fileName = "__MutantSwitch.swift"

    /// The helpers the instrumented code calls, for a module whose mutants have the
    /// ids `firstID ..< firstID + mutantCount`. Each mutation site asks
    /// `__mutantOffset(first, count)` which of its mutants, if any, is on.
    /// Every helper is `@inlinable` (the parser's own inlinable code calls them)
    /// and costs one well-predicted branch when no mutant is on. They are internal
    /// (`@usableFromInline`), so every instrumented module has its own copy, with its
    /// own state; each writes only its own ids into the trace file, at their offsets,
    /// so the modules of one process fill one trace between them.
    public static func source(firstID: Int, mutantCount: Int) -> String {
        """
        // Written by smtp-mutate into an instrumented copy of this module (mutation
        // switching): SMTP_MUTANT=<id> turns one mutant on, read once at the first
        // mutation site reached; SMTP_MUTANT_TRACE=<file> records which mutants' sites
        // ran (byte <id> of the file is 1 when mutant <id>'s site ran) so that only the
        // checks that reach a mutant run for it. This module's mutants are ids
        // \(firstID) ..< \(firstID + mutantCount); at exit it writes those bytes only, in
        // place, so the other instrumented modules of the process keep theirs. Not part
        // of the module's sources.
        #if canImport(Glibc)
        import Glibc
        #elseif canImport(Musl)
        import Musl
        #elseif canImport(Darwin)
        import Darwin
        #endif

        @usableFromInline let __mutantFirst = \(firstID)
        @usableFromInline let __mutantCount = \(mutantCount)
        /// The mutant that is on (0: none), or -1 before SMTP_MUTANT was read.
        @usableFromInline nonisolated(unsafe) var __mutantActive: Int = -1
        /// Indexed by id (0 included: a `__mutCond` variant that is not planted marks it).
        @usableFromInline nonisolated(unsafe) var __mutantTrace: UnsafeMutablePointer<UInt8>? = nil
        nonisolated(unsafe) var __mutantTracePath: UnsafeMutablePointer<CChar>? = nil

        @usableFromInline @inline(never) func __mutantLoad() -> Int {
            var active = 0
            if let value = getenv("SMTP_MUTANT") { active = Int(String(cString: value)) ?? 0 }
            if __mutantTrace == nil, let path = getenv("SMTP_MUTANT_TRACE") {
                __mutantTracePath = strdup(path)
                let trace = UnsafeMutablePointer<UInt8>.allocate(capacity: __mutantFirst + __mutantCount)
                trace.initialize(repeating: 0, count: __mutantFirst + __mutantCount)
                __mutantTrace = trace
                atexit { __mutantWriteTrace() }
            }
            __mutantActive = active
            return active
        }

        /// Bytes `__mutantFirst ..< __mutantFirst + __mutantCount` of the trace file, written in
        /// place (not truncated): another module's atexit writes its own range of the same file.
        func __mutantWriteTrace() {
            guard let trace = __mutantTrace, let path = __mutantTracePath, __mutantCount > 0 else { return }
            let fd = open(path, O_WRONLY | O_CREAT, 0o644)
            guard fd >= 0 else { return }
            _ = pwrite(fd, trace + __mutantFirst, __mutantCount, off_t(__mutantFirst))
            close(fd)
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
