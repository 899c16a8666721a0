// The HMAC key of device keys (D20) in a file of its own, apart from the device
// registry: the registry holds HMAC-SHA256(key, TYPE SP token), and many tokens
// have little entropy (a MAC address is 48 bits, most of them a vendor prefix), so
// whoever holds both the key and a copy of the registry can find the tokens by
// trying them all. Keeping the key out of the registry's folder means a copy of
// that folder, a backup of the state volume or a dump of a shared PostgreSQL
// registry is not enough (docs/server.md, Privacy).

import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The device key as read from (or made in) its file.
struct DeviceKeyFile {
    /// HMAC-SHA256's own key size: 256 random bits.
    static let minimumLength = 32
    /// Anything longer is not a key file that this server made or that the docs describe.
    static let maximumLength = 4096
    /// A key under this name in the data folder sits beside the registry: refused.
    static let besideRegistryName = "device-key.secret"

    let path: String
    let secret: [UInt8]
    /// The file did not exist and was made now.
    let created: Bool

    /// Reads the key at `path`, or makes one (32 random bytes, mode 0600, its folder
    /// 0700 if missing) when there is no file. Refuses a file that others may read
    /// (anything beyond 0600), one that is not a regular file, and one shorter than
    /// 32 bytes, each with a message naming the file and the fix.
    static func loadOrCreate(_ path: String) throws(ServerError) -> DeviceKeyFile {
        for _ in 0..<2 {
            if let secret = try read(path) { return DeviceKeyFile(path: path, secret: secret, created: false) }
            if let secret = try create(path) { return DeviceKeyFile(path: path, secret: secret, created: true) }
            // Another server made it between the two calls: read that one.
        }
        throw ServerError("\(path): the device key appears and disappears; is another program replacing it?")
    }

    /// nil when the file does not exist.
    private static func read(_ path: String) throws(ServerError) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)
        if fd < 0 {
            if errno == ENOENT { return nil }
            throw ServerError("\(path): cannot read the device key: \(lastError())")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw ServerError("\(path): cannot read the device key: \(lastError())") }
        guard info.st_mode & mode_t(S_IFMT) == mode_t(S_IFREG) else {
            throw ServerError("\(path): not a regular file; --device-key names the file that holds the device key")
        }
        let permissions = Int(info.st_mode) & 0o7777
        if permissions & ~0o600 != 0 {
            throw ServerError(
                "\(path): permissions \(octal(permissions)) are wider than 0600: whoever can read the device key "
                    + "can recover low-entropy tokens (MAC addresses, serial numbers) from the device registry. "
                    + "Fix: chmod 600 \(path), owned by the user the server runs as")
        }
        let size = Int(info.st_size)
        if size > maximumLength {
            throw ServerError(
                "\(path): \(size) bytes, more than a device key (\(minimumLength) to \(maximumLength) bytes): "
                    + "is --device-key the right file?")
        }
        var secret = [UInt8](repeating: 0, count: size)
        var done = 0
        while done < size {
            let n = secret.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + done, size - done, off_t(done)) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { break }
            done += n
        }
        if done < minimumLength {
            throw ServerError(
                "\(path): \(done) bytes; a device key is at least \(minimumLength) random bytes. Fix: restore the "
                    + "key this server used, or write a new one (head -c 32 /dev/urandom > \(path); chmod 600 \(path)); "
                    + "a new key forgets every device learned under the old one (docs/server.md, Privacy)")
        }
        return Array(secret.prefix(done))
    }

    /// nil when the file appeared meanwhile.
    private static func create(_ path: String) throws(ServerError) -> [UInt8]? {
        let folder = (path as NSString).deletingLastPathComponent
        if !folder.isEmpty && !FileManager.default.fileExists(atPath: folder) {
            do {
                try FileManager.default.createDirectory(
                    atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            } catch {
                throw ServerError("cannot create \(folder) for the device key: \(error.localizedDescription)")
            }
        }
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode_t(0o600))
        if fd < 0 {
            if errno == EEXIST { return nil }
            throw ServerError("\(path): cannot create the device key: \(lastError())")
        }
        var generator = SystemRandomNumberGenerator()
        let secret = (0..<minimumLength).map { _ in UInt8.random(in: 0...255, using: &generator) }
        var done = 0
        var failure: String?
        while done < secret.count {
            let n = secret.withUnsafeBytes { write(fd, $0.baseAddress! + done, secret.count - done) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else {
                failure = lastError()
                break
            }
            done += n
        }
        // On disk before any device is learned under it: a key lost in a crash would
        // orphan every record made with it.
        if failure == nil && fsync(fd) != 0 { failure = lastError() }
        close(fd)
        if let failure {
            unlink(path)
            throw ServerError("\(path): cannot write the device key: \(failure)")
        }
        let directory = open(folder.isEmpty ? "." : folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directory >= 0 {
            _ = fsync(directory)
            close(directory)
        }
        return secret
    }

    /// A device key in the data folder beside the registry (`device-key.secret`): refused,
    /// so that it is neither used there silently nor replaced by a new key that would
    /// orphan every learned device; the message says how to move it.
    static func refuseKeyBesideRegistry(dataDirectory: String, keyPath: String) throws(ServerError) {
        let beside = (dataDirectory as NSString).appendingPathComponent(besideRegistryName)
        guard FileManager.default.fileExists(atPath: beside), resolved(beside) != resolved(keyPath) else { return }
        if FileManager.default.fileExists(atPath: keyPath) {
            throw ServerError(
                "\(beside): a device key beside the device registry, while the server's key is \(keyPath). "
                    + "A copy of the data folder with its key lets tokens be recovered from the registry: "
                    + "remove \(beside) (if it is the key the registry was made with, move it to \(keyPath) instead)")
        }
        throw ServerError(
            "\(beside): the device key is beside the device registry. Move it out of the data folder, "
                + "keeping the devices learned under it: mkdir -p -m 700 \((keyPath as NSString).deletingLastPathComponent) "
                + "&& mv \(beside) \(keyPath) (or name another place with --device-key FILE; docs/server.md, Privacy)")
    }

    /// Whether `path` lies inside `folder` (both as the file system resolves them).
    static func isInside(_ path: String, folder: String) -> Bool {
        let file = resolved(path)
        let root = resolved(folder)
        return file.hasPrefix(root.hasSuffix("/") ? root : root + "/")
    }

    private static func resolved(_ path: String) -> String {
        URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
    }

    private static func octal(_ mode: Int) -> String {
        let digits = String(mode, radix: 8)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }

    private static func lastError() -> String { String(cString: strerror(errno)) }
}

extension ServerConfiguration {
    /// Where the device key lives when `deviceKeyFile` is nil: the server's user's
    /// configuration folder, `$XDG_CONFIG_HOME/clientid-server/device-key`, or
    /// `~/.config/clientid-server/device-key` (XDG Base Directory). Configuration and
    /// state are kept and copied apart (the registry is state, in `dataDirectory` or a
    /// database), so a copy of the registry does not carry its key. nil when the user
    /// has no home folder: then `--device-key` is required.
    public static func defaultDeviceKeyFile(environment: [String: String] = ProcessInfo.processInfo.environment)
        -> String?
    {
        if let config = environment["XDG_CONFIG_HOME"], config.hasPrefix("/") {
            return config + "/clientid-server/device-key"
        }
        var home = environment["HOME"].flatMap { $0.hasPrefix("/") ? $0 : nil }
        if home == nil, let entry = getpwuid(geteuid()), let directory = entry.pointee.pw_dir {
            let text = String(cString: directory)
            if text.hasPrefix("/") { home = text }
        }
        guard let home else { return nil }
        return (home == "/" ? "" : home) + "/.config/clientid-server/device-key"
    }

    /// `deviceKeyFile`, or the default.
    func resolvedDeviceKeyFile() throws(ServerError) -> String {
        if let deviceKeyFile { return deviceKeyFile }
        guard let path = Self.defaultDeviceKeyFile() else {
            throw ServerError("no home folder to keep the device key in: name its file with --device-key FILE")
        }
        return path
    }
}
