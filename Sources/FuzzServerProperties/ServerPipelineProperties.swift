// Properties of clientid-server's channel pipeline (Sources/ClientIDServer), run
// in process on NIO's `EmbeddedChannel`: the fuzz-server-pipeline harness and the
// regression replay. A module of its own because it imports NIO and the server,
// which FuzzProperties (and so smtp-fuzz) must not build.
//
// The input (layout in FuzzProperties/ServerPipelineInput.swift) is a server
// configuration, read sizes and a client byte stream. Broken properties:
// - `replies-differ-from-session`: the bytes the server writes are not exactly
//   the replies of an `SMTPSession` fed the same stream and given the same
//   answers (every credential check and delivery fails at once in process, or
//   a --sink delivery succeeds): the driver adds, drops or reorders nothing;
// - `chunking-changes-replies`: reading the stream in pieces writes other bytes
//   than reading it whole (checked with the synchronization check off: with it on,
//   a command with input behind it before PIPELINING was offered is refused, so
//   the cut matters; then each run is held to the session fed the same reads);
// - `malformed-reply`: written bytes that are not SMTP reply lines (RFC 5321 §4.2);
// - `more-replies-than-lines`: more final replies than the greeting, one per line
//   sent (LF count) and a closing 421: a reply without a command;
// - `unbounded-buffer`: the session's buffered input past `maxBufferedInput` plus
//   one line, message content past `maxMessageSize`, or actions piling up.

import ClientIDServer
import FuzzProperties
import Logging
import NIOCore
import NIOEmbedded
import SMTPSession
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public enum ServerPipelineProperties {
    /// One server (shared services, as in a real server: connection counters,
    /// the in-memory device registry) per option combination.
    static let servers = Mutex<[UInt8: InProcessConnections]>([:])

    static let logger = Logger(label: "fuzz-server-pipeline", factory: { _ in SwiftLogNoOpLogHandler() })

    static let maildirPath: String = {
        let base = getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
        return base + "/smtp-fuzz-server-pipeline-maildir"
    }()

    static func configuration(_ input: ServerPipelineInput) -> ServerConfiguration {
        var c = ServerConfiguration()
        c.session.hostname = "mx.example"
        c.session.lenientParser = input.lenient
        c.session.smtputf8 = input.smtputf8
        c.session.requireAuthentication = input.requireAuthentication
        if input.synchronizationOff { c.session.enforceSynchronization = false }
        if input.smallLimits {
            c.session.maxMessageSize = 100
            c.session.maxErrors = 3
        }
        c.delivery = input.maildir ? .maildir(path: maildirPath) : .sink
        return c
    }

    static func server(_ input: ServerPipelineInput) throws(PropertyViolation) -> InProcessConnections {
        let key =
            (input.implicitTLS ? 1 : 0) | (input.lenient ? 2 : 0) | (input.smtputf8 ? 4 : 0) | (input.maildir ? 8 : 0)
            | (input.requireAuthentication ? 16 : 0) | (input.smallLimits ? 32 : 0) | (input.synchronizationOff ? 64 : 0)
        let made: Result<InProcessConnections, PropertyViolation> = servers.withLock { servers in
            if let server = servers[UInt8(key)] { return .success(server) }
            do {
                let server = try InProcessConnections(configuration: configuration(input), logger: logger)
                servers[UInt8(key)] = server
                return .success(server)
            } catch {
                return .failure(PropertyViolation("setup-failed", "\(error)"))
            }
        }
        return try made.get()
    }

    public static func check(_ bytes: UnsafeRawBufferPointer) throws(PropertyViolation) {
        let input = ServerPipelineInput(bytes)
        let server = try server(input)
        let session = configuration(input).session
        let whole = try run(server, input, reads: [input.stream], session: session)
        let expected = sessionReplies(input, session, reads: [input.stream])
        guard whole == expected else {
            throw PropertyViolation(
                "replies-differ-from-session",
                "server wrote \(escaped(whole, limit: 600)); session: \(escaped(expected, limit: 600))")
        }
        if !input.readSizes.isEmpty {
            let chunked = try run(server, input, reads: input.reads, session: session)
            let expectedChunked = sessionReplies(input, session, reads: input.reads)
            guard chunked == expectedChunked else {
                throw PropertyViolation(
                    "replies-differ-from-session",
                    "reads \(input.readSizes): server wrote \(escaped(chunked, limit: 600)); session: \(escaped(expectedChunked, limit: 600))"
                )
            }
            guard chunked == whole || session.enforceSynchronization else {
                throw PropertyViolation(
                    "chunking-changes-replies",
                    "reads \(input.readSizes): \(escaped(chunked, limit: 600)); whole: \(escaped(whole, limit: 600))")
            }
        }
    }

    /// One connection: the reads in order, then the client closes. Returns everything written.
    static func run(
        _ server: InProcessConnections, _ input: ServerPipelineInput, reads: [[UInt8]], session: SMTPSession.Configuration
    ) throws(PropertyViolation) -> [UInt8] {
        let channel = EmbeddedChannel()
        defer { _ = try? channel.finish(acceptAlreadyClosed: true) }
        let connection: InProcessConnection
        do {
            connection = try server.addHandler(to: channel, implicitTLS: input.implicitTLS)
            try channel.connect(to: SocketAddress(ipAddress: "192.0.2.1", port: 49152)).wait()
        } catch {
            throw PropertyViolation("setup-failed", "\(error)")
        }
        var written: [UInt8] = []
        var newlines = 0
        func collect() throws(PropertyViolation) {
            while true {
                let buffer: ByteBuffer?
                do {
                    buffer = try channel.readOutbound(as: ByteBuffer.self)
                } catch {
                    throw PropertyViolation("unexpected-outbound", "\(error)")
                }
                guard var buffer else { break }
                written += buffer.readBytes(length: buffer.readableBytes) ?? []
            }
            try checkReplies(written, newlines: newlines)
            try require(
                connection.sessionBufferedInput <= session.maxBufferedInput + session.maxAuthLineLength + 2, "unbounded-buffer",
                "session holds \(connection.sessionBufferedInput) input octets")
            try require(
                connection.messageBytes <= session.maxMessageSize, "unbounded-buffer",
                "message buffer \(connection.messageBytes) > \(session.maxMessageSize)")
            try require(connection.pendingActions <= 16, "unbounded-buffer", "\(connection.pendingActions) actions pending")
        }
        try collect()
        for read in reads where channel.isActive {
            newlines += read.count { $0 == 10 }
            do {
                try channel.writeInbound(channel.allocator.buffer(bytes: read))
            } catch {
                throw PropertyViolation("read-error", "\(error)")
            }
            try collect()
        }
        return written
    }

    /// RFC 5321 §4.2: lines of three digits, "-" or SP, text, CRLF; a reply's lines share
    /// their code. At most one final reply per line the client sent, plus the
    /// greeting and a closing 421.
    static func checkReplies(_ bytes: [UInt8], newlines: Int) throws(PropertyViolation) {
        var finals = 0
        var start = 0
        var code: ArraySlice<UInt8>?
        while start < bytes.count {
            guard let lf = bytes[start...].firstIndex(of: 10) else {
                throw PropertyViolation("malformed-reply", "unterminated: \(escaped(bytes[start...]))")
            }
            let line = bytes[start...lf]
            start = lf + 1
            guard line.count >= 6, line[line.endIndex - 2] == 13,
                line.prefix(3).allSatisfy({ (0x30...0x39).contains($0) }),
                [0x20, 0x2D].contains(line[line.startIndex + 3]),
                !line.dropLast(2).contains(13), line.first! >= 0x32, line.first! <= 0x35
            else {
                throw PropertyViolation("malformed-reply", escaped(line))
            }
            if let code, code != line.prefix(3) {
                throw PropertyViolation("malformed-reply", "continuation with another code: \(escaped(line))")
            }
            if line[line.startIndex + 3] == 0x20 {
                finals += 1
                code = nil
            } else {
                code = line.prefix(3)
            }
        }
        try require(
            finals <= newlines + 2, "more-replies-than-lines", "\(finals) replies to \(newlines) lines: \(escaped(bytes))")
    }

    /// What the sans-IO session answers to the same stream, driven as the in-process
    /// server drives it: credential checks fail (temporary), deliveries fail with
    /// Maildir and succeed with --sink, STARTTLS is not offered.
    static func sessionReplies(
        _ input: ServerPipelineInput, _ configuration: SMTPSession.Configuration, reads: [[UInt8]]
    ) -> [UInt8] {
        var c = configuration
        c.implicitTLS = input.implicitTLS
        c.startTLSAvailable = false
        var session = SMTPSession(configuration: c)
        var out: [UInt8] = []
        var closed = false
        func perform(_ actions: [Action]) {
            var queue = actions[...]
            while let action = queue.popFirst(), !closed {
                switch action {
                case .send(let reply): out += reply.bytes
                // Answers to the request just made: the session cannot refuse them.
                case .checkCredentials: queue += (try? session.credentialsChecked(.temporaryFailure)) ?? []
                case .deliver:
                    queue += (try? session.deliveryFinished(input.maildir ? .temporaryFailure : .stored(queueID: nil))) ?? []
                case .close: closed = true
                case .startTLS: queue += (try? session.tlsFailed()) ?? []
                default: break
                }
            }
        }
        perform((try? session.start()) ?? [])
        for read in reads where !closed { perform(session.receive(read)) }
        return out
    }
}
