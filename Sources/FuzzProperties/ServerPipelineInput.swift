// The input layout of the server-pipeline target. It lives here, apart from its
// checks (Sources/FuzzServerProperties, which needs NIO), so that `smtp-fuzz seeds`
// can write seeds without building NIO.
//
// - byte 0, options: bit 0 implicit TLS (the session counts the connection as
//   encrypted; no handshake in process), bit 1 lenient parser, bit 2 SMTPUTF8,
//   bit 3 Maildir delivery (message content is gathered and written to tmp/ by the server; the
//   delivery itself then fails, see ClientIDServer/InProcessConnection.swift),
//   else --sink, bit 4 MAIL needs AUTH, bit 5 small limits (100-octet messages,
//   3 errors), bit 6 SMTP synchronization check off (on in the server);
// - byte 1: n = b % 8 read sizes follow (0–255 each, cycled; 0 is an empty
//   read); n = 0, or only zeros, reads the stream in one piece;
// - the rest: the bytes the client sends.

public struct ServerPipelineInput: Sendable {
    public var implicitTLS: Bool
    public var lenient: Bool
    public var smtputf8: Bool
    public var maildir: Bool
    public var requireAuthentication: Bool
    public var smallLimits: Bool
    /// Turns off the server's SMTP synchronization check (on by default, as in the server):
    /// with it on, what the server answers depends on how the stream is cut into reads.
    public var synchronizationOff: Bool
    public var readSizes: [Int]
    public var stream: [UInt8]

    public init(_ input: UnsafeRawBufferPointer) {
        let options = input.count > 0 ? input[0] : 0
        implicitTLS = options & 1 != 0
        lenient = options & 2 != 0
        smtputf8 = options & 4 != 0
        maildir = options & 8 != 0
        requireAuthentication = options & 16 != 0
        smallLimits = options & 32 != 0
        synchronizationOff = options & 64 != 0
        let n = input.count > 1 ? Int(input[1] % 8) : 0
        let sizesEnd = min(input.count, 2 + n)
        readSizes = sizesEnd > 2 ? input[2..<sizesEnd].map { Int($0) } : []
        stream = sizesEnd < input.count ? Array(input[sizesEnd...]) : []
    }

    /// The reads the stream is delivered in (all of it, in order).
    public var reads: [[UInt8]] {
        // Sizes of 0 are empty reads; with no positive size nothing would advance.
        guard readSizes.contains(where: { $0 > 0 }) else { return [stream] }
        var out: [[UInt8]] = []
        var i = 0
        var k = 0
        while i < stream.count {
            let size = readSizes[k % readSizes.count]
            k += 1
            let end = min(stream.count, i + size)
            out.append(Array(stream[i..<end]))
            i = end
        }
        return out
    }

    /// Builds an input (seeds, tests).
    public static func encode(options: UInt8, readSizes: [UInt8], stream: [UInt8]) -> [UInt8] {
        precondition(readSizes.count < 8)
        return [options, UInt8(readSizes.count)] + readSizes + stream
    }
}
