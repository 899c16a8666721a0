// Thunderbird as a client of the server under test: a throwaway CA made with openssl
// and trusted through the profile's NSS database, a fresh profile, Thunderbird run
// headless under Marionette (a minimal client of its length-prefixed JSON protocol,
// in Python), and the send made from the chrome context with Thunderbird's own send
// API. Thunderbird runs in its own process group and is always stopped by its pid.

import ClientIDPolicy
import ClientIDServer
import DeviceRegistrySQLite
import Foundation
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// The audit events a server reported through `ServerConfiguration.auditObserver`, in order.
final class AuditEvents: @unchecked Sendable {
    private let lock = NSLock()
    private var events: [ConnectionAuditEvent] = []

    func append(_ event: ConnectionAuditEvent) { lock.withLock { events.append(event) } }
    var all: [ConnectionAuditEvent] { lock.withLock { events } }
}

enum Thunderbird {
    /// Set by `.ci/run`: a missing program fails the test instead of skipping it.
    static var required: Bool { ProcessInfo.processInfo.environment["CLIENTID_TEST_THUNDERBIRD_REQUIRED"] == "1" }

    /// The path of `name`, or a skip naming the Debian package (a failure when required).
    static func require(_ name: String, debianPackage: String) throws -> String {
        do {
            return try Programs.require(name, debianPackage: debianPackage)
        } catch let skip as XCTSkip {
            guard required else { throw skip }
            throw ThunderbirdTestError(
                "\(name) not found (CLIENTID_TEST_THUNDERBIRD_REQUIRED=1): apt-get install \(debianPackage)")
        }
    }

    /// The outgoing server's connection security (`mail.smtpserver.*.try_ssl`,
    /// `nsMsgSocketType`): what the account settings call "STARTTLS" and "SSL/TLS".
    enum Security: Int {
        case startTLS = 2
        case implicitTLS = 3
    }
}

struct ThunderbirdTestError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A CA made for one test and a certificate for 127.0.0.1 signed by it. Thunderbird
/// trusts the CA through its profile's NSS database, as a user's profile would trust
/// an organisation's CA; nothing is accepted without validation.
struct ThrowawayCA {
    let caCertificate: String
    let serverCertificate: String
    let serverKey: String

    static func make(in directory: URL) async throws -> ThrowawayCA {
        let openssl = try Thunderbird.require("openssl", debianPackage: "openssl")
        let path = { (name: String) in directory.appendingPathComponent(name).path }
        let ca = ThrowawayCA(caCertificate: path("ca.pem"), serverCertificate: path("server.pem"), serverKey: path("server.key"))
        // A leaf for 127.0.0.1, where the profile's outgoing server points (NSS checks the IP address).
        let leaf = [
            "basicConstraints=critical,CA:FALSE", "keyUsage=critical,digitalSignature", "extendedKeyUsage=serverAuth",
            "subjectAltName=IP:127.0.0.1,DNS:localhost",
        ]
        try leaf.map { $0 + "\n" }.joined().write(toFile: path("server.ext"), atomically: true, encoding: .utf8)
        let steps: [[String]] = [
            [
                "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", path("ca.key"),
                "-out", ca.caCertificate, "-days", "2", "-subj", "/CN=clientid-server test CA",
                "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
            ],
            [
                "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", ca.serverKey,
                "-out", path("server.csr"), "-subj", "/CN=127.0.0.1",
            ],
            [
                "x509", "-req", "-in", path("server.csr"), "-CA", ca.caCertificate, "-CAkey", path("ca.key"),
                "-CAcreateserial", "-out", ca.serverCertificate, "-days", "2", "-extfile", path("server.ext"),
            ],
        ]
        for arguments in steps {
            let result = try await Programs.run(openssl, arguments, timeout: 30)
            guard result.status == 0 else { throw ThunderbirdTestError("openssl \(arguments[0]) failed: \(result.stderr)") }
        }
        return ca
    }
}

/// A fresh profile: one identity on a Local Folders account, one outgoing server, and
/// the CA in the NSS database.
struct ThunderbirdProfile {
    static let identityKey = "id1"

    var directory: URL
    var email = "alice@example.com"
    var fullName = "Alice Example"
    var username = "alice"
    var port: Int
    var security: Thunderbird.Security
    var clientID: String

    /// What a user's profile holds once this outgoing server is set up (Account Settings)
    /// with CLIENTID (`clientidEnabled`, `clientid`: Config Editor; docs/server.md, "Using
    /// clientid-server with Thunderbird"); the last few keep a headless start quiet.
    var preferences: [(String, String)] {
        func text(_ value: String) -> String { "\"\(value)\"" }
        return [
            ("mail.accountmanager.accounts", text("account1")),
            ("mail.accountmanager.defaultaccount", text("account1")),
            ("mail.accountmanager.localfoldersserver", text("server1")),
            ("mail.account.account1.server", text("server1")),
            ("mail.account.account1.identities", text(Self.identityKey)),
            ("mail.server.server1.type", text("none")),
            ("mail.server.server1.hostname", text("Local Folders")),
            ("mail.server.server1.userName", text("nobody")),
            ("mail.server.server1.name", text("Local Folders")),
            ("mail.identity.id1.fullName", text(fullName)),
            ("mail.identity.id1.useremail", text(email)),
            ("mail.identity.id1.smtpServer", text("smtp1")),
            // No copy to a Sent folder: the message exists only where the server put it.
            ("mail.identity.id1.fcc", "false"),
            ("mail.smtpservers", text("smtp1")),
            ("mail.smtp.defaultserver", text("smtp1")),
            ("mail.smtpserver.smtp1.type", text("smtp")),
            ("mail.smtpserver.smtp1.description", text("clientid-server test")),
            ("mail.smtpserver.smtp1.hostname", text("127.0.0.1")),
            ("mail.smtpserver.smtp1.port", "\(port)"),
            ("mail.smtpserver.smtp1.username", text(username)),
            // nsMsgAuthMethod.passwordCleartext: "Normal password" (AUTH PLAIN, then LOGIN).
            ("mail.smtpserver.smtp1.authMethod", "3"),
            ("mail.smtpserver.smtp1.try_ssl", "\(security.rawValue)"),
            ("mail.smtpserver.smtp1.clientidEnabled", "true"),
            ("mail.smtpserver.smtp1.clientid", text(clientID)),
            // SmtpClient's own transcript (S: and C: lines; Debian's build withholds no
            // command, AUTH included: see `redactedTranscript`).
            ("mailnews.smtp.loglevel", text("All")),
            // Marionette picks a free port and writes it to MarionetteActivePort.
            ("marionette.port", "0"),
            ("mail.shell.checkDefaultClient", "false"),
            ("mailnews.start_page.enabled", "false"),
            ("app.update.disabledForTesting", "true"),
            ("datareporting.policy.dataSubmissionEnabled", "false"),
            ("toolkit.telemetry.reportingpolicy.firstRun", "false"),
        ]
    }

    /// Writes prefs.js and an NSS database that trusts `ca` for servers.
    func write(trusting ca: ThrowawayCA) async throws {
        let certutil = try Thunderbird.require("certutil", debianPackage: "libnss3-tools")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let prefs = preferences.map { "user_pref(\"\($0.0)\", \($0.1));\n" }.joined()
        try prefs.write(to: directory.appendingPathComponent("prefs.js"), atomically: true, encoding: .utf8)
        let database = "sql:\(directory.path)"
        for arguments in [
            ["-N", "-d", database, "--empty-password"],
            ["-A", "-d", database, "-n", "clientid-server test CA", "-t", "C,,", "-i", ca.caCertificate],
        ] {
            let result = try await Programs.run(certutil, arguments, timeout: 30)
            guard result.status == 0 else { throw ThunderbirdTestError("certutil \(arguments[0]) failed: \(result.stderr)") }
        }
    }
}

/// What Thunderbird reported for one send (the chrome script's result).
struct ThunderbirdSendResult: Decodable {
    struct OutgoingServer: Decodable, Equatable {
        var hostname: String
        var port: Int
        var socketType: Int
        var authMethod: Int
        var clientidEnabled: Bool
        var clientid: String
    }

    /// `Services.appinfo.version`.
    var version: String
    var outgoingServer: OutgoingServer?
    /// `nsIMsgSendListener.onStopSending`: the status (0 is NS_OK) and the Message-ID.
    var status: Int64?
    var messageId: String?
    /// The rejection of `createAndSendMessage`'s promise, if any.
    var exception: String?
    /// The chrome script's own failure (an API missing in this version).
    var error: String?
    /// `onTransportSecurityError`: the certificate was not trusted.
    var securityError: String?
    /// The text of every prompt Thunderbird opened, in order (WebDriver:GetAlertText);
    /// each was answered Cancel (WebDriver:DismissAlert), as a user would.
    var dialogs: [String]
    /// mailnews.smtp and mailnews.send console messages.
    var log: [String]

    var succeeded: Bool { status == 0 && exception == nil && error == nil }

    /// SmtpClient's transcript, one reply line or command a line: the server's (`S:`)
    /// and the client's (`C:`). Debian's build logs AUTH lines too: see `redactedTranscript`.
    var transcript: [String] {
        log.flatMap { line -> [String] in
            guard let range = line.range(of: " debug: ") else { return [] }
            let text = String(line[range.upperBound...])
            if text.hasPrefix("S: ") {
                return text.dropFirst(3).components(separatedBy: "\r\n").filter { !$0.isEmpty }.map { "S: \($0)" }
            }
            return text.hasPrefix("C: ") ? [text] : []
        }
    }

    /// The transcript without credentials: AUTH's initial response and the answers to `334`.
    var redactedTranscript: [String] {
        var previous = ""
        return transcript.map { line in
            defer { previous = line }
            if line.hasPrefix("C: AUTH ") && line.split(separator: " ").count > 3 {
                return line.split(separator: " ").prefix(3).joined(separator: " ") + " <withheld>"
            }
            return previous.hasPrefix("S: 334") && line.hasPrefix("C: ") ? "C: <withheld>" : line
        }
    }

    var summary: String {
        "Thunderbird \(version): status \(status.map(String.init) ?? "-"), exception \(exception ?? "-"), "
            + "error \(error ?? "-"), security \(securityError ?? "-")\ndialogs: \(dialogs)\n"
            + (redactedTranscript + log.filter { $0.contains(" error: ") || $0.contains(" warn: ") }).joined(separator: "\n")
    }
}

/// A running Thunderbird: its own process group, stopped by its pid.
final class ThunderbirdProcess: @unchecked Sendable {
    let process = Process()
    let logFile: URL
    private let log: FileHandle
    private let exited = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var stopped = false

    init(executable: String, profile: URL, home: URL, logFile: URL) throws {
        self.logFile = logFile
        process.executableURL = URL(fileURLWithPath: executable)
        // -remote-allow-system-access: Thunderbird 153 refuses Marionette's chrome context without it.
        process.arguments = [
            "--headless", "--marionette", "-remote-allow-system-access", "--no-remote", "--profile", profile.path,
        ]
        var environment = ProcessInfo.processInfo.environment
        for name in ["DISPLAY", "WAYLAND_DISPLAY", "DBUS_SESSION_BUS_ADDRESS"] { environment[name] = nil }
        environment["HOME"] = home.path
        environment["XDG_CONFIG_HOME"] = home.appendingPathComponent(".config").path
        environment["XDG_CACHE_HOME"] = home.appendingPathComponent(".cache").path
        environment["MOZ_CRASHREPORTER_DISABLE"] = "1"
        process.environment = environment
        FileManager.default.createFile(atPath: logFile.path, contents: nil)
        log = try FileHandle(forWritingTo: logFile)
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        process.terminationHandler = { [exited] _ in exited.signal() }
        // Foundation starts the child as the leader of a new process group, so the group's
        // id is Thunderbird's pid, and its content processes stay in that group.
        try process.run()
    }

    var pid: Int32 { process.processIdentifier }

    /// Waits for Thunderbird to quit (Marionette:Quit was sent) up to `grace`, then kills
    /// whatever is left of its process group, each process by its pid. Idempotent.
    func stop(grace: TimeInterval) {
        let first = lock.withLock {
            defer { stopped = true }
            return !stopped
        }
        guard first else { return }
        let quit = exited.wait(timeout: .now() + grace) == .success
        for member in Self.groupMembers(pid) {
            kill(member, SIGKILL)
        }
        if !quit { _ = exited.wait(timeout: .now() + 10) }
        try? log.close()
        // Content processes notice their parent is gone within a moment; wait for it.
        let deadline = Date().addingTimeInterval(5)
        while !Self.groupMembers(pid).isEmpty && Date() < deadline { usleep(50_000) }
    }

    /// Live processes of process group `group` (zombies excluded), from /proc.
    static func groupMembers(_ group: Int32) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { entry -> Int32? in
            guard let pid = Int32(entry),
                let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { return nil }
            // After "(comm)": state, ppid, pgrp.
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 2, fields[0] != "Z", Int32(fields[2]) == group else { return nil }
            return pid
        }
    }
}

enum ThunderbirdScripts {
    /// A minimal Marionette client. argv: profile directory, chrome script file, its
    /// arguments as JSON, time limit in seconds. Connects to the port Thunderbird wrote
    /// to MarionetteActivePort, opens a session, switches to the chrome context, runs the
    /// script (which starts the send and returns), polls `window.clientidTestSend.result`
    /// (a prompt opened during a script ends that script with null, so the send must not
    /// run inside one; while a prompt is open a poll gets "unexpected alert open" and is
    /// made again), prints `RESULT <json>` and always asks Thunderbird to quit.
    /// Progress goes to standard error with the seconds since start.
    static let marionette = #"""
        import json, socket, sys, time
        profile, script_path, arguments, limit = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), float(sys.argv[4])
        began = time.monotonic()
        deadline = began + limit
        def note(text):
            print("%6.2fs %s" % (time.monotonic() - began, text), file=sys.stderr, flush=True)
        port = None
        while port is None:
            try:
                port = int(open(profile + "/MarionetteActivePort").read().strip())
            except (OSError, ValueError):
                if time.monotonic() > deadline:
                    sys.exit("Thunderbird wrote no MarionetteActivePort within %.0f s" % limit)
                time.sleep(0.1)
        note("Marionette listens on 127.0.0.1:%d" % port)
        sock = socket.create_connection(("127.0.0.1", port), timeout=limit)
        pending = b""
        def receive():
            global pending
            while True:
                if b":" in pending:
                    size, rest = pending.split(b":", 1)
                    if len(rest) >= int(size):
                        pending = rest[int(size):]
                        return json.loads(rest[:int(size)])
                sock.settimeout(max(0.1, deadline - time.monotonic()))
                data = sock.recv(65536)
                if not data:
                    raise EOFError("Marionette closed the connection")
                pending += data
        class MarionetteError(Exception):
            def __init__(self, name, error):
                super().__init__("%s: %s" % (name, error.get("message", error)))
                self.error = error.get("error")
        serial = 0
        def command(name, parameters):
            global serial
            serial += 1
            packet = json.dumps([0, serial, name, parameters]).encode()
            sock.sendall(str(len(packet)).encode() + b":" + packet)
            while True:
                message = receive()
                if message[0] == 1 and message[1] == serial:
                    if message[2]:
                        raise MarionetteError(name, message[2])
                    return message[3]
        try:
            hello = receive()
            note("hello %s" % json.dumps(hello))
            session = command("WebDriver:NewSession", {"unhandledPromptBehavior": "ignore"})
            note("session: %s %s" % (session["capabilities"]["browserName"], session["capabilities"]["browserVersion"]))
            command("Marionette:SetContext", {"value": "chrome"})
            command("WebDriver:ExecuteScript", {"script": open(script_path).read(), "args": arguments})
            note("send started")
            result = None
            dialogs = []
            while result is None:
                if time.monotonic() > deadline:
                    sys.exit("no send result within %.0f s" % limit)
                time.sleep(0.2)
                try:
                    result = command("WebDriver:ExecuteScript", {"script": "return window.clientidTestSend?.result ?? null;", "args": []})["value"]
                except MarionetteError as error:
                    if error.error != "unexpected alert open":
                        raise
                    # A prompt is open: read it, answer Cancel as a user would, ask again.
                    dialogs.append(command("WebDriver:GetAlertText", {})["value"])
                    command("WebDriver:DismissAlert", {})
                    note("prompt answered Cancel: %r" % dialogs[-1])
            result["dialogs"] = dialogs
            note("send finished")
            print("RESULT " + json.dumps(result), flush=True)
        finally:
            try:
                command("Marionette:Quit", {"flags": ["eForceQuit"]})
                note("quit")
            except Exception as error:
                note("quit failed: %s" % error)
        """#

    /// The chrome-context send. Arguments: identity key, password, To, Subject, body.
    ///
    /// The send API of Thunderbird 153.8.0esr (Debian), read from that version's own
    /// modules/MessageSend.sys.mjs (omni.ja): `nsIMsgSend.createAndSendMessage(editor,
    /// identity, accountKey, compFields, isDigest, dontDeliver, deliverMode, msgToReplace,
    /// bodyType, body, parentWindow, progress, listener, smtpPassword, originalMsgURI,
    /// compType)`, which returns a promise. It builds the message with Thunderbird's own
    /// MimeMessage (From, To, Subject, Date, Message-ID, User-Agent, MIME headers) and
    /// delivers it through the identity's outgoing server (SmtpServer.sendMailMessage,
    /// SmtpClient.sys.mjs: `CLIENTID UUID <clientid>` after the post-TLS EHLO when the
    /// server advertises CLIENTID and `clientidEnabled` is set). Prompts (the login
    /// failure question, the send error) are real dialogs, answered by the Marionette client.
    static let send = #"""
        const [identityKey, password, to, subject, body] = arguments;
        const state = (window.clientidTestSend = { result: null });
        const result = { version: Services.appinfo.version, log: [] };
        const { MailServices } = ChromeUtils.importESModule("resource:///modules/MailServices.sys.mjs");
        const storage = Cc["@mozilla.org/consoleAPI-storage;1"].getService(Ci.nsIConsoleAPIStorage);
        const onConsole = message => {
          if (String(message.prefix).startsWith("mailnews.")) {
            result.log.push(`${message.prefix} ${message.level}: ${(message.arguments || []).map(String).join(" ")}`);
          }
        };
        const finish = () => {
          storage.removeLogEventListener(onConsole);
          state.result = result;
        };
        storage.addLogEventListener(onConsole, Cc["@mozilla.org/systemprincipal;1"].createInstance(Ci.nsIPrincipal));

        const identity = MailServices.accounts.getIdentity(identityKey);
        const server = MailServices.outgoingServer.getServerByIdentity(identity).QueryInterface(Ci.nsISmtpServer);
        // clientidEnabled is not in the XPCOM interface: read both as SmtpClient does, from the object.
        result.outgoingServer = {
          hostname: server.hostname, port: server.port, socketType: server.socketType, authMethod: server.authMethod,
          clientidEnabled: server.wrappedJSObject.clientidEnabled, clientid: server.wrappedJSObject.clientid,
        };
        const send = Cc["@mozilla.org/messengercompose/send;1"].createInstance(Ci.nsIMsgSend);
        if (typeof send.createAndSendMessage != "function") {
          result.error = `nsIMsgSend.createAndSendMessage is not in Thunderbird ${result.version}`;
          finish();
          return;
        }
        const fields = Cc["@mozilla.org/messengercompose/composefields;1"].createInstance(Ci.nsIMsgCompFields);
        fields.from = `${identity.fullName} <${identity.email}>`;
        fields.to = to;
        fields.subject = subject;
        const listener = {
          QueryInterface: ChromeUtils.generateQI(["nsIMsgSendListener"]),
          onStartSending() {},
          onSendProgress() {},
          onStatus() {},
          onGetDraftFolderURI() {},
          onSendNotPerformed() {},
          onTransportSecurityError(messageId, status, securityInfo, location) {
            result.securityError = `${status} ${location} ${securityInfo?.errorCodeString}`;
          },
          onStopSending(messageId, status) {
            result.messageId = messageId;
            result.status = status;
          },
        };
        // The promise settles after the listener was told and after any error dialog closed.
        send.createAndSendMessage(
          null, identity, "", fields, false, false, Ci.nsIMsgSend.nsMsgDeliverNow, null,
          "text/plain", body, null, null, listener, password, null, Ci.nsIMsgCompType.New
        ).then(
          () => finish(),
          error => {
            result.exception = String(error);
            finish();
          }
        );
        """#
}

/// One server, one fresh profile and one Thunderbird send through it, all in a
/// throwaway directory removed when the test ends.
struct ThunderbirdRun {
    static let password = "secret"

    let server: TestServer
    let audit: AuditEvents
    let profile: ThunderbirdProfile
    let root: URL
    let thunderbird: String
    let python: String
    let test: XCTestCase

    /// Starts the server (the CA's certificate, accounts of `TestServer`, `policy` as its
    /// policy file) and writes the profile for `security`. Skips, naming the Debian
    /// package, when a program is missing (fails instead under CLIENTID_TEST_THUNDERBIRD_REQUIRED=1).
    static func prepare(
        _ test: XCTestCase, security: Thunderbird.Security, clientID: String, policy: String? = nil
    ) async throws -> ThunderbirdRun {
        let thunderbird = try Thunderbird.require("thunderbird", debianPackage: "thunderbird")
        let python = try Thunderbird.require("python3", debianPackage: "python3")
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("thunderbird-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        test.addTeardownBlock { try? FileManager.default.removeItem(at: root) }
        let ca = try await ThrowawayCA.make(in: root)
        var policyFile: String?
        if let policy {
            policyFile = root.appendingPathComponent("policy.yaml").path
            try policy.write(toFile: policyFile!, atomically: true, encoding: .utf8)
        }
        let audit = AuditEvents()
        let server = try await TestServer.start(test) { configuration in
            configuration.certificate = .files(certificatePEM: ca.serverCertificate, privateKeyPEM: ca.serverKey)
            configuration.policyFile = policyFile
            configuration.auditObserver = { audit.append($0) }
        }
        let profile = ThunderbirdProfile(
            directory: root.appendingPathComponent("profile"),
            port: security == .startTLS ? server.plainPort : server.tlsPort, security: security, clientID: clientID)
        try await profile.write(trusting: ca)
        return ThunderbirdRun(
            server: server, audit: audit, profile: profile, root: root, thunderbird: thunderbird, python: python, test: test)
    }

    /// Starts Thunderbird on the profile, sends one message from the chrome context and
    /// stops Thunderbird (also when anything fails). Returns what Thunderbird reported.
    func send(to recipient: String, subject: String, body: String) async throws -> ThunderbirdSendResult {
        let script = root.appendingPathComponent("send.js")
        try ThunderbirdScripts.send.write(to: script, atomically: true, encoding: .utf8)
        let arguments = try String(
            decoding: JSONEncoder().encode([ThunderbirdProfile.identityKey, Self.password, recipient, subject, body]),
            as: UTF8.self)
        let home = root.appendingPathComponent("home")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        let process = try ThunderbirdProcess(
            executable: thunderbird, profile: profile.directory, home: home,
            logFile: root.appendingPathComponent("thunderbird.log"))
        test.addTeardownBlock { process.stop(grace: 0) }
        let client: ProgramResult
        do {
            client = try await Programs.run(
                python, ["-c", ThunderbirdScripts.marionette, profile.directory.path, script.path, arguments, "75"],
                timeout: 90)
        } catch {
            process.stop(grace: 0)
            throw error
        }
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                process.stop(grace: 15)
                continuation.resume()
            }
        }
        XCTAssertEqual(
            ThunderbirdProcess.groupMembers(process.pid), [], "Thunderbird (pid \(process.pid)) left processes behind")
        print(client.stderr.split(separator: "\n").map { "thunderbird: \($0)" }.joined(separator: "\n"))
        guard let line = client.stdout.split(separator: "\n").first(where: { $0.hasPrefix("RESULT ") }) else {
            throw ThunderbirdTestError(
                "no result from Thunderbird (Marionette client status \(client.status)):\n\(client.stderr)\n"
                    + "Thunderbird's output:\n\(thunderbirdLog())")
        }
        let result = try JSONDecoder().decode(ThunderbirdSendResult.self, from: Data(line.dropFirst("RESULT ".count).utf8))
        print(result.redactedTranscript.map { "thunderbird: \($0)" }.joined(separator: "\n"))
        return result
    }

    /// Thunderbird's standard output and error, without GTK's complaints about having no display.
    func thunderbirdLog() -> String {
        let text = (try? String(contentsOf: root.appendingPathComponent("thunderbird.log"), encoding: .utf8)) ?? ""
        return text.split(separator: "\n").filter { !$0.contains("Gtk-CRITICAL") && !$0.contains("WARNING: gtk") }
            .suffix(40).joined(separator: "\n")
    }

    /// The key the server's registry and audit events use for `identity` (D20: the
    /// server's own HMAC secret), as a fingerprint.
    func deviceFingerprint(_ identity: ClientIdentity) throws -> String {
        let secret = try Data(contentsOf: server.deviceKeyFile)
        return HMACDeviceKeys(secret: Array(secret)).key(for: identity).fingerprint
    }
}
