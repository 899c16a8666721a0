// Maildir delivery (https://cr.yp.to/proto/maildir.html): the message is written
// to tmp/, fsynced, renamed into new/, and new/ is fsynced; only then does the
// session send `250`. A crash at any point leaves at most a file in tmp/, never a
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

    /// Writes, syncs and publishes one message; returns its file name in new/.
    func deliver(header: [UInt8], content: [UInt8], queueID: String) throws -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let name = "\(now.tv_sec).M\(now.tv_nsec / 1000)P\(getpid())Q\(queueID).\(host)"
        let temporary = "\(path)/tmp/\(name)"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw Self.failure("open", temporary) }
        do {
            try Self.writeAll(fd, header, temporary)
            try Self.writeAll(fd, content, temporary)
            guard fsync(fd) == 0 else { throw Self.failure("fsync", temporary) }
        } catch {
            close(fd)
            unlink(temporary)
            throw error
        }
        guard close(fd) == 0 else {
            unlink(temporary)
            throw Self.failure("close", temporary)
        }
        guard rename(temporary, "\(path)/new/\(name)") == 0 else {
            let error = Self.failure("rename", temporary)
            unlink(temporary)
            throw error
        }
        // The rename is durable only once the directory is.
        let directory = open("\(path)/new", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard directory >= 0 else { throw Self.failure("open", "\(path)/new") }
        defer { close(directory) }
        guard fsync(directory) == 0 else { throw Self.failure("fsync", "\(path)/new") }
        return name
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
