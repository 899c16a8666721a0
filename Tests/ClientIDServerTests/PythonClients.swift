// Python programs used as real clients. `smtplib` for what a mail client does;
// a raw socket client for what smtplib cannot send (pipelined segments, bare LF,
// overlong lines) and to see every byte the server answers.

enum PythonClients {
    /// Draft §8.1 with smtplib. argv: mode (starttls | implicit), port.
    static let example81 = #"""
        import smtplib, ssl, sys
        mode, port = sys.argv[1], int(sys.argv[2])
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        if mode == "starttls":
            s = smtplib.SMTP("127.0.0.1", port, timeout=10)
            code, _ = s.ehlo("client.example.net")
            print("EHLO", code, s.has_extn("starttls"), s.has_extn("clientid"), flush=True)
            print("STARTTLS", s.starttls(context=ctx)[0], flush=True)
        else:
            s = smtplib.SMTP_SSL("127.0.0.1", port, timeout=10, context=ctx)
        code, _ = s.ehlo("client.example.net")
        print("EHLO", code, s.has_extn("clientid"), s.has_extn("auth"), flush=True)
        print("CLIENTID", s.docmd("CLIENTID", "UUID 23bf83be-aad7-46aa-9e0f-39191ccf402f")[0], flush=True)
        s.user, s.password = "alice", "secret"
        print("AUTH", s.auth("LOGIN", s.auth_login, initial_response_ok=False)[0], flush=True)
        refused = s.sendmail("sender@example.net", ["receiver@example.com"],
                             "From: sender@example.net\r\nTo: receiver@example.com\r\nSubject: example 8.1\r\n\r\nHello from draft example 8.1\r\n")
        print("SENDMAIL", refused, flush=True)
        print("QUIT", s.quit()[0], flush=True)
        """#

    /// The D-rules through smtplib's `docmd`, one session each; prints `NAME CODE` lines.
    static let decisions = #"""
        import smtplib, ssl, sys
        port = int(sys.argv[1])
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        def tls_session():
            s = smtplib.SMTP("127.0.0.1", port, timeout=10)
            s.ehlo("client.example.net")
            s.starttls(context=ctx)
            return s
        def out(name, reply):
            print(name, reply[0], reply[1].decode(errors="replace").replace("\n", " | "), flush=True)

        # 8.2 / D7: plaintext CLIENTID is unknown; the session goes on.
        s = smtplib.SMTP("127.0.0.1", port, timeout=10)
        code, _ = s.ehlo("client.example.net")
        print("PLAIN-EHLO-CLIENTID", s.has_extn("clientid"), flush=True)
        out("D7", s.docmd("CLIENTID", "MAC 08:9e:01:70:f6:46"))
        out("D7-MAIL", s.docmd("MAIL", "FROM:<sender@example.net>"))
        out("D7-QUIT", s.docmd("QUIT"))
        s.close()

        # D8: TLS up, no EHLO yet.
        s = tls_session()
        out("D8", s.docmd("CLIENTID", "UUID 23bf83be-aad7-46aa-9e0f-39191ccf402f"))
        s.ehlo("client.example.net")
        print("TLS-EHLO-CLIENTID", s.has_extn("clientid"), flush=True)
        # 8.4 / D11: malformed, and may be retried.
        out("D11", s.docmd("CLIENTID", "MAC"))
        # D4: the draft's own DEVICE_ID breaks its ABNF.
        out("D4", s.docmd("CLIENTID", "DEVICE_ID abc"))
        # D3: verb and type case-insensitive.
        out("D3", s.docmd("clientid", "uuid 23bf83be-aad7-46aa-9e0f-39191ccf402f"))
        # D9: once per session, also after RSET and EHLO.
        out("D9", s.docmd("CLIENTID", "UUID other"))
        out("RSET", s.docmd("RSET"))
        out("D9-RSET", s.docmd("CLIENTID", "UUID other"))
        s.ehlo("client.example.net")
        print("D15", s.has_extn("clientid"), flush=True)
        out("D9-EHLO", s.docmd("CLIENTID", "UUID other"))
        s.quit()

        # D10: after any AUTH, successful or not. D18: a wrong password is 535 5.7.8.
        s = tls_session()
        s.ehlo("client.example.net")
        try:
            s.login("alice", "wrong")
            print("D18 235", flush=True)
        except smtplib.SMTPAuthenticationError as e:
            print("D18", e.smtp_code, e.smtp_error.decode(), flush=True)
        out("D10", s.docmd("CLIENTID", "UUID 23bf83be-aad7-46aa-9e0f-39191ccf402f"))
        s.quit()

        # D13: STARTTLS discards the session's CLIENTID... which cannot exist before TLS;
        # a second STARTTLS inside TLS is refused.
        s = tls_session()
        s.ehlo("client.example.net")
        out("STARTTLS-AGAIN", s.docmd("STARTTLS"))
        s.quit()
        """#

    /// A raw client. argv: JSON steps, plaintext port, TLS port. Prints `S: line` for every
    /// reply line, `R: code` after each complete reply, and `C: …` for what it sends.
    /// Steps: ["connect","plain"|"tls"] (reads the greeting), ["send", text],
    /// ["reply"] (one reply), ["tls"] (handshake now; reports bytes left over),
    /// ["quiet"] (reports any byte that arrives within half a second), ["closed"].
    static let raw = #"""
        import json, socket, ssl, sys
        steps = json.loads(sys.argv[1])
        ports = {"plain": int(sys.argv[2]), "tls": int(sys.argv[3])}
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        sock = None
        buf = b""
        def reply():
            global buf
            while True:
                while b"\r\n" not in buf:
                    data = sock.recv(65536)
                    if not data:
                        print("S: <closed>", flush=True)
                        print("R: closed", flush=True)
                        return
                    buf += data
                line, buf = buf.split(b"\r\n", 1)
                print("S: " + line.decode("latin-1"), flush=True)
                if len(line) < 4 or line[3:4] != b"-":
                    print("R: " + line[:3].decode("latin-1"), flush=True)
                    return
        for step in steps:
            kind = step[0]
            if kind == "connect":
                sock = socket.create_connection(("127.0.0.1", ports[step[1]]), timeout=10)
                if step[1] == "tls":
                    sock = ctx.wrap_socket(sock, server_hostname="localhost")
                reply()
            elif kind == "send":
                print("C: " + repr(step[1]), flush=True)
                sock.sendall(step[1].encode("latin-1"))
            elif kind == "reply":
                reply()
            elif kind == "tls":
                print("LEFTOVER: " + repr(buf), flush=True)
                sock = ctx.wrap_socket(sock, server_hostname="localhost")
                print("TLS: " + sock.version(), flush=True)
            elif kind == "quiet":
                sock.settimeout(0.5)
                try:
                    data = sock.recv(65536)
                    print("STRAY: " + repr(buf + data), flush=True)
                except (socket.timeout, TimeoutError):
                    print("QUIET: " + repr(buf), flush=True)
                sock.settimeout(10)
            elif kind == "closed":
                sock.settimeout(5)
                try:
                    data = sock.recv(65536)
                    print("CLOSED" if not data else "OPEN: " + repr(data), flush=True)
                except (ConnectionResetError, ssl.SSLError) as e:
                    print("CLOSED", flush=True)
                except (socket.timeout, TimeoutError):
                    print("OPEN: timeout", flush=True)
        """#
}
