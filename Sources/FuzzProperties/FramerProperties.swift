// Properties of `LineFramer` on any byte stream.
//
// Input layout: byte 0 picks the line limit (3 + byte0 % 61, or the RFC 5321
// default 512 when byte0 ≥ 0xF0); byte 1 says how many chunk-size bytes follow
// (byte1 % 8); each of those is one chunk size (0...63, cycled; 0 feeds an empty
// chunk). The rest is the stream. It is fed whole and in those chunks, and both
// event sequences must equal each other and a reference model written from the
// framer's documented rules (LineFramer.swift header, D12).

import SMTPCommandParser

public enum FramerProperties {
    /// What a feed reported, copied out (lines are valid only during the callback).
    public enum Event: Equatable, CustomStringConvertible, Sendable {
        case line([UInt8])
        case error(kind: UInt8, offset: Int)

        public var description: String {
            switch self {
            case .line(let bytes): "line(\(escaped(bytes)))"
            case .error(let kind, let offset): "error(\(kind)@\(offset))"
            }
        }
    }

    public struct Layout {
        public var limit: Int
        public var chunkSizes: [Int]
        public var stream: UnsafeRawBufferPointer
    }

    public static func layout(_ input: UnsafeRawBufferPointer) -> Layout? {
        guard input.count >= 2 else { return nil }
        let limit = input[0] >= 0xF0 ? 512 : 3 + Int(input[0]) % 61
        let n = min(Int(input[1]) % 8, input.count - 2)
        let sizes = (0..<n).map { Int(input[2 + $0]) % 64 }
        return Layout(limit: limit, chunkSizes: sizes, stream: UnsafeRawBufferPointer(rebasing: input[(2 + n)...]))
    }

    public static func check(_ input: UnsafeRawBufferPointer) throws(PropertyViolation) {
        guard let layout = layout(input) else { return }
        try check(layout)
    }

    public static func check(_ layout: Layout) throws(PropertyViolation) {
        let stream = layout.stream
        let limit = layout.limit

        var whole = LineFramer(maxLineLength: limit)
        let wholeEvents = try feed(&whole, [stream], limit: limit)

        var chunks: [UnsafeRawBufferPointer] = []
        var sizes = layout.chunkSizes.isEmpty ? [1] : layout.chunkSizes
        if sizes.allSatisfy({ $0 == 0 }) { sizes.append(1) }
        var at = 0
        var k = 0
        while at < stream.count {
            let size = min(sizes[k % sizes.count], stream.count - at)
            chunks.append(UnsafeRawBufferPointer(rebasing: stream[at..<(at + size)]))
            at += size
            k += 1
        }
        var chunked = LineFramer(maxLineLength: limit)
        let chunkedEvents = try feed(&chunked, chunks, limit: limit)

        try require(
            wholeEvents == chunkedEvents, "chunking-changes-events",
            "limit \(limit), chunks \(sizes): whole \(wholeEvents) vs chunked \(chunkedEvents) for \(escaped(stream))")
        try require(
            whole.hasPartialLine == chunked.hasPartialLine, "chunking-changes-partial-line",
            "limit \(limit), chunks \(sizes): \(whole.hasPartialLine) vs \(chunked.hasPartialLine)")

        let expected = reference(stream, limit: limit)
        try require(
            wholeEvents == expected.events, "framer-differs-from-model",
            "limit \(limit): framer \(wholeEvents), model \(expected.events) for \(escaped(stream))")
        try require(
            whole.hasPartialLine == expected.partial, "partial-line-differs-from-model",
            "limit \(limit): framer says \(whole.hasPartialLine), model \(expected.partial) for \(escaped(stream))")
    }

    static func feed(_ framer: inout LineFramer, _ chunks: [UnsafeRawBufferPointer], limit: Int) throws(PropertyViolation)
        -> [Event]
    {
        var events: [Event] = []
        for chunk in chunks {
            framer.feed(chunk) { event in
                switch event {
                case .line(let line): events.append(.line(Array(line)))
                case .error(let error): events.append(.error(kind: error.kind.number, offset: error.offset))
                }
            }
            try require(
                framer.bufferedByteCount <= limit, "buffer-over-limit",
                "bufferedByteCount \(framer.bufferedByteCount) > limit \(limit) after a chunk of \(chunk.count)")
        }
        for case .line(let line) in events {
            try require(
                line.count >= 2 && line[line.count - 2] == 0x0D && line.last == 0x0A, "line-without-crlf", "\(escaped(line))")
            try require(line.count <= limit, "line-over-limit", "a \(line.count)-byte line with limit \(limit): \(escaped(line))")
            try require(
                !line.dropLast(2).contains { $0 == 0x0D || $0 == 0x0A }, "line-with-bare-cr-or-lf", "\(escaped(line))")
        }
        return events
    }

    /// The documented behaviour, written as plainly as possible:
    /// a line is everything up to and including the first CRLF. A line longer
    /// than `limit` (CRLF included) gives one `lineTooLong` error at offset `limit`
    /// as soon as it has limit + 1 bytes, and nothing else. Otherwise the first
    /// bare LF, else the first bare CR refuses the line at its offset; any other
    /// line is reported as is, NUL bytes included (the parser judges those, D5).
    /// An unfinished tail reports only `lineTooLong`, once it is too long.
    public static func reference(_ stream: UnsafeRawBufferPointer, limit: Int) -> (events: [Event], partial: Bool) {
        var events: [Event] = []
        var start = 0
        let n = stream.count
        while start < n {
            var end = start
            while end + 1 < n && !(stream[end] == 0x0D && stream[end + 1] == 0x0A) { end += 1 }
            let complete = end + 1 < n
            let lineEnd = complete ? end + 2 : n
            let length = lineEnd - start
            if length > limit {
                events.append(.error(kind: SMTPSyntaxError.Kind.lineTooLong.number, offset: limit))
            } else if complete {
                let content = stream[start..<end]
                if let lf = content.firstIndex(of: 0x0A) {
                    events.append(.error(kind: SMTPSyntaxError.Kind.bareLineFeed.number, offset: lf - start))
                } else if let cr = content.firstIndex(of: 0x0D) {
                    events.append(.error(kind: SMTPSyntaxError.Kind.bareCarriageReturn.number, offset: cr - start))
                } else {
                    events.append(.line(Array(stream[start..<lineEnd])))
                }
            }
            if !complete { return (events, true) }
            start = lineEnd
        }
        return (events, false)
    }
}
