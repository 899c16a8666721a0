// The device key (D20) in a file of its own, apart from the registry: made 0600
// when missing, refused when others may read it or it is too short, a key left in
// the data folder refused with the way out, and a registry made with another key
// refused (docs/server.md, Privacy).

import ClientIDPolicy
import DeviceRegistrySQLite
import Foundation
import XCTest

@testable import ClientIDServer

#if canImport(Glibc)
import Glibc
#endif

/// The permission bits of `path` (0 when it cannot be read).
func permissions(_ path: String) -> Int {
    var info = stat()
    guard stat(path, &info) == 0 else { return 0 }
    return Int(info.st_mode) & 0o7777
}

final class DeviceKeyTests: XCTestCase {
    /// A folder for one test, removed afterwards.
    private func folder() throws -> URL {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("clientid-key-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: root) }
        return root
    }

    private func write(_ bytes: [UInt8], to path: String, mode: Int) throws {
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data(bytes)))
        XCTAssertEqual(chmod(path, mode_t(mode)), 0)
    }

    /// Starts a server whose data folder is `root/data` and whose key is `key`, or returns
    /// the start's error message.
    private func start(root: URL, key: String?, logger: LogCapture? = nil) async -> (TestServer?, String?) {
        do {
            let server = try await TestServer.start(self, tls: false, logger: logger?.logger()) { configuration in
                configuration.dataDirectory = root.appendingPathComponent("data").path
                configuration.deviceKeyFile = key
            }
            return (server, nil)
        } catch {
            return (nil, "\(error)")
        }
    }

    func testKeyIsMadeWhenMissingWithMode0600AndKeptAcrossStarts() async throws {
        let root = try folder()
        let key = root.appendingPathComponent("config/clientid/device-key").path
        let log = LogCapture()
        let (first, error) = await start(root: root, key: key, logger: log)
        XCTAssertNil(error)
        XCTAssertEqual(permissions(key), 0o600)
        XCTAssertEqual(permissions(root.appendingPathComponent("config/clientid").path), 0o700)
        let secret = try Data(contentsOf: URL(fileURLWithPath: key))
        XCTAssertEqual(secret.count, 32)
        XCTAssertNotEqual(Set(secret).count, 1, "random bytes")
        XCTAssertTrue(log.text.contains("device key created") && log.text.contains(key), log.text)
        XCTAssertFalse(log.text.contains("inside the device registry's folder"), log.text)
        await first?.server.shutdown()

        // The same key on the next start, and the registry made with it accepts it.
        let again = LogCapture()
        let (second, error2) = await start(root: root, key: key, logger: again)
        XCTAssertNil(error2)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: key)), secret)
        XCTAssertTrue(again.text.contains("device key loaded"), again.text)
        await second?.server.shutdown()
        XCTAssertFalse(
            FileManager.default.fileExists(atPath: root.appendingPathComponent("data/device-key.secret").path),
            "nothing in the data folder")
    }

    /// Anything readable (or writable, or executable) by others than the owner, or more than
    /// rw for the owner, is refused, naming the file and the fix; 0600 and 0400 are fine.
    func testKeyReadableByOthersIsRefused() async throws {
        for mode in [0o644, 0o640, 0o604, 0o660, 0o666, 0o700, 0o610, 0o4600] {
            let root = try folder()
            let key = root.appendingPathComponent("keys/device-key").path
            try write(Array(repeating: 7, count: 32), to: key, mode: mode)
            let (server, error) = await start(root: root, key: key)
            XCTAssertNil(server, String(mode, radix: 8))
            let message = try XCTUnwrap(error, String(mode, radix: 8))
            XCTAssertTrue(message.contains(key), message)
            XCTAssertTrue(message.contains("permissions 0\(String(mode, radix: 8))") || mode > 0o777, message)
            XCTAssertTrue(message.contains("wider than 0600") && message.contains("chmod 600 \(key)"), message)
        }
        for mode in [0o600, 0o400] {
            let root = try folder()
            let key = root.appendingPathComponent("keys/device-key").path
            try write(Array(repeating: 7, count: 32), to: key, mode: mode)
            let (server, error) = await start(root: root, key: key)
            XCTAssertNil(error, String(mode, radix: 8))
            await server?.server.shutdown()
        }
    }

    func testShortOrOddKeyFilesAreRefused() async throws {
        let root = try folder()
        let key = root.appendingPathComponent("keys/device-key").path
        for (bytes, expected) in [(16, "16 bytes; a device key is at least 32 random bytes"), (0, "0 bytes")] {
            try? FileManager.default.removeItem(atPath: key)
            try write(Array(repeating: 1, count: bytes), to: key, mode: 0o600)
            let (server, error) = await start(root: root, key: key)
            XCTAssertNil(server)
            XCTAssertTrue(error?.contains("\(key): \(expected)") == true, error ?? "started")
            XCTAssertTrue(error?.contains("head -c 32 /dev/urandom") == true, error ?? "started")
        }
        try FileManager.default.removeItem(atPath: key)
        try write(Array(repeating: 1, count: 5000), to: key, mode: 0o600)
        var (server, error) = await start(root: root, key: key)
        XCTAssertNil(server)
        XCTAssertTrue(error?.contains("5000 bytes, more than a device key") == true, error ?? "started")

        try FileManager.default.removeItem(atPath: key)
        try FileManager.default.createDirectory(atPath: key, withIntermediateDirectories: true)
        (server, error) = await start(root: root, key: key)
        XCTAssertNil(server)
        XCTAssertTrue(error?.contains("\(key): not a regular file") == true, error ?? "started")
    }

    /// `device-key.secret` in the data folder, beside the registry: refused with
    /// the command that moves it, never used silently and never replaced by a new key.
    func testKeyBesideTheRegistryIsRefused() async throws {
        let root = try folder()
        let beside = root.appendingPathComponent("data/device-key.secret").path
        let key = root.appendingPathComponent("keys/device-key").path
        try write(Array(repeating: 3, count: 32), to: beside, mode: 0o600)
        var (server, error) = await start(root: root, key: key)
        XCTAssertNil(server)
        XCTAssertTrue(error?.contains("\(beside): the device key is beside the device registry") == true, error ?? "started")
        XCTAssertTrue(error?.contains("mv \(beside) \(key)") == true, error ?? "started")
        XCTAssertFalse(FileManager.default.fileExists(atPath: key), "no new key made meanwhile")

        // Both present: the one in the data folder must go.
        try write(Array(repeating: 3, count: 32), to: key, mode: 0o600)
        (server, error) = await start(root: root, key: key)
        XCTAssertNil(server)
        XCTAssertTrue(error?.contains("remove \(beside)") == true, error ?? "started")

        // Moved as told: the server starts with it.
        try FileManager.default.removeItem(atPath: beside)
        (server, error) = await start(root: root, key: key)
        XCTAssertNil(error)
        await server?.server.shutdown()
    }

    /// Named explicitly inside the registry's folder: allowed (the operator chose), with a warning.
    func testKeyInsideTheRegistryFolderIsAWarning() async throws {
        for name in ["data/device-key.secret", "data/keys/device-key"] {
            let root = try folder()
            let key = root.appendingPathComponent(name).path
            let log = LogCapture()
            let (server, error) = await start(root: root, key: key, logger: log)
            XCTAssertNil(error)
            XCTAssertTrue(log.text.contains("the device key is inside the device registry's folder"), log.text)
            await server?.server.shutdown()
        }
    }

    /// A SQLite registry made with one key refuses another (its keys would never match again);
    /// the key it was made with works again, and so does a new key on a new registry.
    func testRegistryMadeWithAnotherKeyIsRefused() async throws {
        let root = try folder()
        let key = root.appendingPathComponent("keys/device-key").path
        let (first, error) = await start(root: root, key: key)
        XCTAssertNil(error)
        await first?.server.shutdown()
        let original = try Data(contentsOf: URL(fileURLWithPath: key))

        try FileManager.default.removeItem(atPath: key)
        try write(Array(repeating: 9, count: 32), to: key, mode: 0o600)
        let (second, refused) = await start(root: root, key: key)
        XCTAssertNil(second)
        let registry = root.appendingPathComponent("data/devices.sqlite").path
        XCTAssertTrue(refused?.contains("device-key secret differs") == true, refused ?? "started")
        XCTAssertTrue(refused?.contains(registry) == true, refused ?? "started")

        try FileManager.default.removeItem(atPath: key)
        try write(Array(original), to: key, mode: 0o600)
        let (third, error3) = await start(root: root, key: key)
        XCTAssertNil(error3)
        await third?.server.shutdown()

        // Changing the key as docs/server.md says: the registry deleted, the new key starts afresh.
        try FileManager.default.removeItem(atPath: key)
        try write(Array(repeating: 9, count: 32), to: key, mode: 0o600)
        try FileManager.default.removeItem(atPath: registry)
        let (fourth, error4) = await start(root: root, key: key)
        XCTAssertNil(error4)
        await fourth?.server.shutdown()
    }

    /// The default is the configuration folder (XDG), never the data folder.
    func testDefaultKeyFile() {
        XCTAssertEqual(
            ServerConfiguration.defaultDeviceKeyFile(environment: ["XDG_CONFIG_HOME": "/srv/conf", "HOME": "/srv/mailhome"]),
            "/srv/conf/clientid-server/device-key")
        XCTAssertEqual(
            ServerConfiguration.defaultDeviceKeyFile(environment: ["HOME": "/srv/mailhome"]),
            "/srv/mailhome/.config/clientid-server/device-key")
        XCTAssertEqual(
            ServerConfiguration.defaultDeviceKeyFile(environment: ["XDG_CONFIG_HOME": "relative", "HOME": "/srv/mailhome"]),
            "/srv/mailhome/.config/clientid-server/device-key", "XDG: a relative path is ignored")
        // No HOME: the account's home folder from the password database.
        let fallback = ServerConfiguration.defaultDeviceKeyFile(environment: [:])
        XCTAssertTrue(fallback?.hasSuffix("/.config/clientid-server/device-key") ?? true, fallback ?? "")
    }

    /// The command line: `--device-key` reaches the server, and its refusal is the exit status
    /// and the message.
    func testCommandLineDeviceKey() async throws {
        let root = try folder()
        let key = root.appendingPathComponent("keys/device-key").path
        try write(Array(repeating: 5, count: 32), to: key, mode: 0o644)
        let result = try await Programs.run(
            try ServerProcess.executable(),
            [
                "--listen", "127.0.0.1:0", "--data-dir", root.appendingPathComponent("data").path,
                "--maildir", root.appendingPathComponent("maildir").path, "--device-key", key,
            ], timeout: 60)
        XCTAssertFalse(result.timedOut)
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.stderr.contains("\(key): permissions 0644 are wider than 0600"), result.stderr)
        XCTAssertFalse(result.stderr.contains("Fatal error"), result.stderr)
    }
}
