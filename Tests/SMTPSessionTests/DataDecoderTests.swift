// The DATA decoder copies runs of content up to the next CR eight bytes at a time.
// Here it is checked against a plain line-by-line reading of RFC 5321 §4.1.1.4 and
// §4.5.2 (the end is the first CRLF "." CRLF; a leading "." is dropped; only CRLF
// ends a line) on seeded random streams of the bytes that matter (CR, LF, ".", NUL)
// between runs of text of every length around the word size, cut into random reads
// from one byte up. Replay a failure with DATA_DECODER_SEED=<seed>.

import Foundation
import XCTest

@testable import SMTPSession

final class DataDecoderTests: XCTestCase {
    /// What a line-by-line reading gives for `content` (the bytes after the DATA line):
    /// the decoded message so far, the octets up to and including the end, and whether a line
    /// (its leading dot and CRLF included, RFC 5321 §4.5.3.1.6) was over `maxLineLength`.
    static func reference(_ content: [UInt8], maxLineLength: Int) -> (output: [UInt8], consumed: Int?, overlong: Bool) {
        var output: [UInt8] = []
        var overlong = false
        var start = 0
        while start < content.count {
            var end = start
            while end + 1 < content.count && !(content[end] == 0x0D && content[end + 1] == 0x0A) { end += 1 }
            let complete = end + 1 < content.count
            let line = Array(content[start..<(complete ? end + 2 : content.count)])
            if line.count > maxLineLength { overlong = true }
            if complete && line == [0x2E, 0x0D, 0x0A] { return (output, start + 3, overlong) }
            // An unfinished "." CR may still become the end: held back, not content yet.
            if !complete && line == [0x2E, 0x0D] { break }
            output += line.first == 0x2E ? Array(line.dropFirst()) : line
            start += line.count
        }
        return (output, nil, overlong)
    }

    static func randomStream(_ random: inout SplitMix64) -> [UInt8] {
        let pieces: [[UInt8]] = [
            [0x0D], [0x0A], [0x2E], [0x0D, 0x0A], [0x0D, 0x0A, 0x2E], [0x00], [0x2E, 0x2E], [0x0D, 0x0D],
        ]
        var stream: [UInt8] = []
        for _ in 0..<Int.random(in: 1...40, using: &random) {
            if Bool.random(using: &random) {
                // Text runs of 0 to 40 octets: shorter than, equal to and across 8-byte words.
                for _ in 0..<Int.random(in: 0...40, using: &random) {
                    stream.append(UInt8.random(in: 0x20...0x7E, using: &random))
                }
            } else {
                stream += pieces.randomElement(using: &random)!
            }
        }
        // Most streams end, some with bytes after the end that must not be consumed.
        if Int.random(in: 0..<4, using: &random) > 0 { stream += Array("\r\n.\r\n".utf8) }
        if Bool.random(using: &random) { stream += Array("MAIL FROM:<x@y>\r\n".utf8) }
        return stream
    }

    func testMatchesLineByLineReadingInAnyCut() {
        let replay = ProcessInfo.processInfo.environment["DATA_DECODER_SEED"].flatMap { UInt64($0) }
        var root = SystemRandomNumberGenerator()
        let seeds = replay.map { [$0] } ?? (0..<2_000).map { _ in root.next() }
        for seed in seeds {
            var random = SplitMix64(seed: seed)
            let stream = Self.randomStream(&random)
            let maxLineLength = Int.random(in: 3...60, using: &random)
            let want = Self.reference(stream, maxLineLength: maxLineLength)

            var decoder = DataDecoder(maxLineLength: maxLineLength)
            var output: [UInt8] = []
            var offset = 0
            var consumed: Int?
            while offset < stream.count && consumed == nil {
                let cut = min(stream.count - offset, Int.random(in: 1...24, using: &random))
                let (n, ended) = stream.withUnsafeBytes { all in
                    decoder.decode(UnsafeRawBufferPointer(rebasing: all[offset..<(offset + cut)]), into: &output)
                }
                XCTAssert(ended ? n <= cut : n == cut, "seed \(seed): a read is consumed whole unless it ends the message")
                offset += n
                if ended { consumed = offset }
            }
            let expected = want.output
            XCTAssertEqual(consumed, want.consumed, "seed \(seed): end of message")
            XCTAssertEqual(output, expected, "seed \(seed): content")
            XCTAssertEqual(decoder.sawOverlongLine, want.overlong, "seed \(seed): overlong line")
            if consumed != want.consumed || output != expected { return }
        }
    }
}
