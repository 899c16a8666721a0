// The user log (draft §7 flag 4, "available to User log"): each account's own
// history of the devices it authenticated from, for the account holder (a webmail
// "recent activity" page reads it). It is a destination of its own, never the
// operator's log: one file per account, `ACCOUNT.log`, in a folder of its own
// (docs/server.md, Privacy).
//
// Only accounts that exist get a file: an AUTH names any account it likes, and a
// file per guessed name would let anyone fill the disk. Each file is bounded: past
// `maxBytes` it becomes `ACCOUNT.log.1` (replacing the one before) and a new one
// starts, so an account's history takes at most twice that.

import ClientIDPolicy
import Crypto
import Foundation
import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

final class UserLog: Sendable {
    let directory: String
    let maxBytes: Int
    /// Problems writing (never the event itself: it may carry a raw token).
    private let logger: Logger
    /// One append (and rotation) at a time: AUTH decisions of one account may finish together.
    private let writing = Mutex<Void>(())

    init(directory: String, maxBytes: Int, logger: Logger) {
        self.directory = directory
        self.maxBytes = maxBytes
        self.logger = logger
    }

    /// Appends the `user` events among `events` to their accounts' files. Blocking: call
    /// it where file I/O is allowed. `accountExists` says whether an account is real.
    func record(_ events: [AuditEvent], accountExists: (String) -> Bool) {
        for event in events where event.destination == .user {
            guard let account = event.account, accountExists(account) else { continue }
            append("\(event)\n", to: (directory as NSString).appendingPathComponent(Self.fileName(for: account)))
        }
    }

    private func append(_ line: String, to path: String) {
        writing.withLock { _ in
            do throws(ServerError) {
                try makeDirectory()
                var fd = try openForAppend(path)
                var info = stat()
                if fstat(fd, &info) == 0, info.st_size > 0, Int(info.st_size) + line.utf8.count > maxBytes {
                    close(fd)
                    if rename(path, path + ".1") != 0 { throw ServerError("cannot rotate \(path): \(lastError())") }
                    fd = try openForAppend(path)
                }
                defer { close(fd) }
                // One write of the whole line: O_APPEND keeps lines whole.
                let bytes = Array(line.utf8)
                let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress!, $0.count) }
                if written != bytes.count { throw ServerError("cannot write \(path): \(lastError())") }
            } catch {
                logger.error("user log: \(error)")
            }
        }
    }

    private func makeDirectory() throws(ServerError) {
        guard mkdir(directory, 0o700) != 0, errno != EEXIST else { return }
        do {
            try FileManager.default.createDirectory(
                atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw ServerError("cannot create \(directory): \(error.localizedDescription)")
        }
    }

    private func openForAppend(_ path: String) throws(ServerError) -> Int32 {
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, mode_t(0o600))
        if fd < 0 { throw ServerError("cannot open \(path): \(lastError())") }
        return fd
    }

    private func lastError() -> String { String(cString: strerror(errno)) }

    /// `ACCOUNT.log`, the account name made safe as a file name: letters, digits and
    /// `@ . _ + -` as they are, every other byte (and a leading dot) as `%XX`. A name
    /// whose file name would be too long for the file system (255 bytes) is shortened
    /// and made unique with a hash of the whole name.
    static func fileName(for account: String) -> String {
        var name = ""
        for (index, byte) in account.utf8.enumerated() {
            let plain =
                (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || [UInt8(ascii: "@"), UInt8(ascii: "_"), UInt8(ascii: "+"), UInt8(ascii: "-")].contains(byte)
                || (byte == UInt8(ascii: ".") && index > 0)
            name += plain ? String(UnicodeScalar(byte)) : "%" + String(byte, radix: 16, uppercase: true).leftPadded(2)
        }
        if name.utf8.count > 200 {
            let digest = SHA256.hash(data: Array(account.utf8)).prefix(16).map { String($0, radix: 16).leftPadded(2) }
            name = String(name.prefix(100)) + "~" + digest.joined()
        }
        return name + ".log"
    }
}

extension String {
    fileprivate func leftPadded(_ width: Int) -> String {
        String(repeating: "0", count: max(0, width - count)) + self
    }
}
