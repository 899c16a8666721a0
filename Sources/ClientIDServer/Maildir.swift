// Maildir delivery (https://cr.yp.to/proto/maildir.html): the message is written
// to tmp/ as it arrives, fsynced, renamed into new/, and new/ is fsynced; only then
// does the session send `250`. A crash at any point leaves at most a file in tmp/, never a
// partial one in new/. Blocking: run it on the thread pool.
//
// The file holds the message as received (CRLF line ends, dot-stuffing removed),
// after a `Received:` trace header (RFC 5321 §4.4, RFC 3848 protocol names).

import Foundation
import SMTPSession

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

struct Maildir: Sendable {
    let path: String
    /// The host part of file names: `/` and `:` escaped as the spec says.
    private let host: String

    init(path: String, hostname: String) throws {
        self.path = path
        host = hostname.replacingOccurrences(of: "/", with: "\\057").replacingOccurrences(of: ":", with: "\\072")
        for directory in [path, path + "/tmp", path + "/new", path + "/cur"] {
            if mkdir(directory, 0o700) != 0 && errno != EEXIST {
                throw ServerError("cannot create \(directory): \(String(cString: strerror(errno)))")
            }
        }
    }

    /// A message being written in tmp/: the file is open from the first byte of
    /// content to `publish` or `discard`, so a connection never holds more than a
    /// chunk of its message in memory.
    struct TemporaryFile: Sendable {
        let fd: Int32
        let name: String
        let path: String
    }

    /// Creates the message's file in tmp/ (blocking: thread pool).
    func create(queueID: String) throws -> TemporaryFile {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let name = "\(now.tv_sec).M\(now.tv_nsec / 1000)P\(getpid())Q\(queueID).\(host)"
        let temporary = "\(path)/tmp/\(name)"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw Self.failure("open", temporary) }
        return TemporaryFile(fd: fd, name: name, path: temporary)
    }

    /// Appends to the file; on failure the file is closed and removed, so nothing
    /// of it is left in tmp/ (blocking: thread pool).
    func append(_ file: TemporaryFile, _ bytes: [UInt8]) throws {
        do {
            try Self.writeAll(file.fd, bytes, file.path)
        } catch {
            discard(file)
            throw error
        }
    }

    /// fsync, rename into new/, fsync new/; returns the name in new/. On failure
    /// the file is removed from tmp/ (blocking: thread pool).
    func publish(_ file: TemporaryFile) throws -> String {
        guard fsync(file.fd) == 0 else {
            let error = Self.failure("fsync", file.path)
            discard(file)
            throw error
        }
        guard close(file.fd) == 0 else {
            let error = Self.failure("close", file.path)
            unlink(file.path)
            throw error
        }
        guard rename(file.path, "\(path)/new/\(file.name)") == 0 else {
            let error = Self.failure("rename", file.path)
            unlink(file.path)
            throw error
        }
        // The rename is durable only once the directory is.
        let directory = open("\(path)/new", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard directory >= 0 else { throw Self.failure("open", "\(path)/new") }
        defer { close(directory) }
        guard fsync(directory) == 0 else { throw Self.failure("fsync", "\(path)/new") }
        return file.name
    }

    /// Closes and removes an unfinished message (size limit, RSET, lost connection).
    func discard(_ file: TemporaryFile) {
        close(file.fd)
        unlink(file.path)
    }

    /// Writes, syncs and publishes one message held in memory; returns its file name in new/.
    func deliver(header: [UInt8], content: [UInt8], queueID: String) throws -> String {
        let file = try create(queueID: queueID)
        try append(file, header)
        try append(file, content)
        return try publish(file)
    }

    private static func writeAll(_ fd: Int32, _ bytes: [UInt8], _ file: String) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                throw failure("write", file)
            }
            offset += n
        }
    }

    private static func failure(_ call: String, _ file: String) -> ServerError {
        ServerError("\(call) \(file): \(String(cString: strerror(errno)))")
    }
}

/// The `Received:` header for a delivered message (RFC 5321 §4.4).
/// `with` is ESMTP, plus S for TLS and A for AUTH (RFC 3848). The CLIENTID never
/// appears here: a header is not a log, and D20 keeps tokens to the logs the flags allow.
func receivedHeader(envelope: Envelope, remoteAddress: String?, hostname: String, queueID: String, date: Date = Date()) -> [UInt8]
{
    var proto = envelope.clientDomain == nil ? "SMTP" : "ESMTP"
    if envelope.tls { proto += "S" }
    if envelope.authenticatedUser != nil { proto += "A" }
    // RFC 5321 §4.1.3 address literals: IPv6 ones carry the "IPv6:" tag.
    let literal = remoteAddress.map { $0.contains(":") ? "[IPv6:\($0)]" : "[\($0)]" } ?? "unknown"
    var text = "Received: from \(envelope.clientDomain ?? "unknown") (\(literal))\r\n"
    text += "\tby \(hostname) (clientid-server) with \(proto) id \(queueID)"
    // As Postfix does: name the recipient only when there is exactly one.
    if envelope.recipients.count == 1 { text += "\r\n\tfor <\(envelope.recipients[0])>" }
    text += "; \(rfc5322Date(date))\r\n"
    return Array(text.utf8)
}

/// RFC 5322 §3.3 date-time in UTC: `Thu, 13 Feb 2025 10:20:30 +0000`.
func rfc5322Date(_ date: Date) -> String {
    var seconds = time_t(date.timeIntervalSince1970)
    var parts = tm()
    gmtime_r(&seconds, &parts)
    var buffer = [CChar](repeating: 0, count: 64)
    let count = strftime(&buffer, buffer.count, "%a, %d %b %Y %H:%M:%S +0000", &parts)
    return String(decoding: buffer.prefix(count).map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
