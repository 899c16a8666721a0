// The properties every fuzz harness checks, shared by the libFuzzer harnesses
// in Fuzz/ and by the regression replay in Tests/FuzzRegressionTests, so a
// saved input is judged by exactly the same code that found it.
//
// A check throws `PropertyViolation` instead of trapping, so a test can report
// it; the harnesses turn it into a trap (`FuzzTarget.runOrTrap`).

/// A broken property: a short symptom (used in regression file names) and the details.
public struct PropertyViolation: Error, Sendable, CustomStringConvertible {
    /// Lower-case words joined by "-", e.g. "round-trip-mismatch". Stable: names regression files.
    public var symptom: String
    public var detail: String

    public init(_ symptom: String, _ detail: String) {
        self.symptom = symptom
        self.detail = detail
    }

    public var description: String { "\(symptom): \(detail)" }
}

/// Throws `PropertyViolation(symptom, detail())` unless `condition` holds.
@inline(__always)
package func require(_ condition: Bool, _ symptom: String, _ detail: @autoclosure () -> String) throws(PropertyViolation) {
    if !condition { throw PropertyViolation(symptom, detail()) }
}

/// Bytes as one printable line (\r, \n, \xHH), for violation details.
package func escaped(_ bytes: some Sequence<UInt8>, limit: Int = 200) -> String {
    var out = ""
    var n = 0
    for b in bytes {
        n += 1
        if n > limit {
            out += "..."
            break
        }
        switch b {
        case 0x0D: out += "\\r"
        case 0x0A: out += "\\n"
        case 0x5C: out += "\\\\"
        case 0x20..<0x7F: out.unicodeScalars.append(UnicodeScalar(b))
        default:
            let digits = Array("0123456789ABCDEF".unicodeScalars)
            out += "\\x"
            out.unicodeScalars.append(digits[Int(b >> 4)])
            out.unicodeScalars.append(digits[Int(b & 15)])
        }
    }
    return out
}

/// "path too long" → "path-too-long".
func slug(_ name: StaticString) -> String {
    var out = ""
    var dash = false
    for c in "\(name)".lowercased() {
        if c.isLetter || c.isNumber {
            if dash && !out.isEmpty { out.append("-") }
            out.append(c)
            dash = false
        } else {
            dash = true
        }
    }
    return out
}
