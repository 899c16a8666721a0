// The SIMD fast path is taken, not only right. Every other check compares the
// kernel's verdicts and fields with the table automata's, and a shuffle form
// that accepts less than it should passes them all: whatever it does not accept
// goes to the table automata, which answer the same. So each shuffle form here
// must itself accept ordinary lines of its rule, on every kernel this CPU runs.

import XCTest

@testable import SMTPCommandParser
@testable import SMTPParserRuntime

final class ShuffleFormTakenTests: XCTestCase {
    /// Rule, then inputs its shuffle form must accept (whole command lines with
    /// CRLF; a parameter's text alone for the parameter rules).
    static let accepted: [(rule: String, inputs: [String], line: UInt)] = [
        ("ehlo", ["EHLO client.example.net\r\n", "ehlo a\r\n", "EHLO mx-1.sub.example.org\r\n"], #line),
        ("helo", ["HELO client.example.net\r\n", "HELO a.b\r\n"], #line),
        (
            "mail",
            [
                "MAIL FROM:<sender@example.net>\r\n", "MAIL FROM:<>\r\n", "mail from:<a.b-c@d.example>\r\n",
                "MAIL FROM:<sender@example.net> SIZE=1200\r\n",
                "MAIL FROM:<sender@example.net> SIZE=1200 BODY=8BITMIME\r\n",
            ],
            #line
        ),
        (
            "rcpt",
            [
                "RCPT TO:<rcpt@example.org>\r\n", "rcpt to:<x@y.example>\r\n",
                "RCPT TO:<rcpt@example.org> NOTIFY=SUCCESS,FAILURE\r\n",
            ],
            #line
        ),
        ("data", ["DATA\r\n"], #line),
        ("rset", ["RSET\r\n"], #line),
        ("quit", ["QUIT\r\n"], #line),
        ("starttls", ["STARTTLS\r\n"], #line),
        ("noop", ["NOOP\r\n"], #line),
        ("help", ["HELP\r\n"], #line),
        ("vrfy", ["VRFY postmaster\r\n"], #line),
        ("expn", ["EXPN staff\r\n"], #line),
        ("auth", ["AUTH PLAIN\r\n", "AUTH PLAIN dGVzdAB0ZXN0AHRlc3Q=\r\n", "AUTH LOGIN\r\n"], #line),
        ("bdat", ["BDAT 1000\r\n", "BDAT 1000 LAST\r\n", "BDAT 0 LAST\r\n"], #line),
        ("clientid", ["CLIENTID UUID 23bf83be-aad7-46aa-9e0f-39191ccf402f\r\n", "CLIENTID MYTYPE abc123\r\n"], #line),
        ("size-param", ["SIZE=1200", "SIZE=0"], #line),
        ("requiretls-param", ["REQUIRETLS"], #line),
        ("mt-priority-param", ["MT-PRIORITY=4", "MT-PRIORITY=-9"], #line),
        ("ret-param", ["RET=HDRS", "RET=FULL"], #line),
        ("envid-param", ["ENVID=QQ314159"], #line),
        ("auth-mailbox", ["user@example.com"], #line),
    ]

    func testEveryShuffleFormAcceptsOrdinaryLinesOfItsRule() throws {
        let kernels = ShuffleKernel.allCases.filter(\.isSupported)
        guard !kernels.isEmpty else { throw XCTSkip("this CPU runs no SIMD kernel: the table automata decide every line") }
        for (rule, inputs, line) in Self.accepted {
            guard let form = SMTPGrammar.Shuffle.automaton(forRule: rule) else {
                XCTFail("\(rule): no shuffle form", line: line)
                continue
            }
            for input in inputs {
                let bytes = Array(input.utf8)
                for kernel in kernels {
                    var tags = CaptureTags()
                    let taken = bytes.withUnsafeBytes { form.matcher.match($0, captures: &tags, kernel: kernel) }
                    XCTAssertTrue(taken, "\(rule) \(input.debugDescription): the \(kernel) kernel did not accept it", line: line)
                }
            }
        }
    }

    /// A parser asked for a kernel this CPU cannot run uses the table
    /// automata alone; one it can run, it uses.
    func testAParserKeepsOnlyAKernelThisCPURuns() {
        XCTAssertNil(SMTPCommandParser(kernel: nil).kernel)
        for kernel in ShuffleKernel.allCases {
            XCTAssertEqual(SMTPCommandParser(kernel: kernel).kernel, kernel.isSupported ? kernel : nil, "\(kernel)")
        }
        XCTAssertEqual(SMTPCommandParser().kernel, ShuffleKernel.best)
    }
}
