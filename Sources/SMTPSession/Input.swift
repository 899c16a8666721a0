// Bytes in: command lines framed and parsed where the driver's buffer holds
// them, message content decoded from the same buffer, and what cannot be read
// yet held until it can.
//
// Zero-copy: `LineFramer.nextLine` hands out each line as a range of the read
// (or, for a line that spans reads, the framer's own buffer), and the parser
// reads it there. The framer is asked for one line at a time, so the bytes
// after `DATA` or `BDAT` in the same read are decoded as content and never
// framed as command lines. A copy is made only of input that arrives while the
// session waits for its driver (or before the greeting), up to `maxBufferedInput`.

import SMTPCommandParser

/// Input received while the session could not read it.
struct HeldInput: Sendable, Equatable {
    private(set) var bytes: [UInt8] = []
    /// More arrived than `maxBufferedInput` allows: the session closes when the wait ends.
    private(set) var overflowed = false

    var count: Int { bytes.count }
    var isEmpty: Bool { bytes.isEmpty }

    mutating func hold(_ more: UnsafeRawBufferPointer, limit: Int) {
        if bytes.count + more.count > limit {
            overflowed = true
        } else {
            bytes.append(contentsOf: more)
        }
    }

    /// Everything held, moved out (no copy).
    mutating func take() -> [UInt8] {
        defer { bytes = [] }
        return bytes
    }

    mutating func discard() {
        bytes = []
        overflowed = false
    }
}

extension SMTPSession {
    /// Reads what it can of `bytes`; holds the rest while the driver is awaited.
    mutating func read(_ bytes: UnsafeRawBufferPointer, _ out: inout [Action]) {
        switch state {
        case .closed, .awaitingTLSHandshake:
            return  // D13: plaintext sent after STARTTLS is never executed.
        case .notStarted, .awaitingCredentials, .awaitingDelivery:
            held.hold(bytes, limit: configuration.maxBufferedInput)
        case .command, .authExchange, .data, .chunk:
            let used = consume(bytes, &out)
            // A wait began inside this read: keep the rest for when it ends. After STARTTLS,
            // a security layer or a close the rest is dropped (D13).
            if used < bytes.count && state.holdsInput {
                held.hold(UnsafeRawBufferPointer(rebasing: bytes[used...]), limit: configuration.maxBufferedInput)
            }
        }
    }

    /// After a wait: reads what was held meanwhile.
    mutating func resume(_ out: inout [Action]) {
        guard state != .closed else { return }
        if held.overflowed {
            out.append(.send(.tooMuchPipelinedInput(hostname)))
            return close(&out)
        }
        guard !held.isEmpty else { return }
        let input = held.take()
        let used = input.withUnsafeBytes { consume($0, &out) }
        if used < input.count && state.holdsInput {
            // Still within the limit: it was held once already.
            input.withUnsafeBytes { held.hold(UnsafeRawBufferPointer(rebasing: $0[used...]), limit: .max) }
        }
    }

    /// Drops all input not read yet: STARTTLS and a security layer start over (D13, D14).
    mutating func discardInput() {
        held.discard()
        framer = LineFramer(maxLineLength: framer.maxLineLength)
    }

    /// Reads `buffer` until it ends or the session stops reading (a wait, a close).
    /// Returns the bytes consumed.
    private mutating func consume(_ buffer: UnsafeRawBufferPointer, _ out: inout [Action]) -> Int {
        var offset = 0
        while offset < buffer.count {
            switch state {
            case .command, .authExchange:
                let (found, end) = framer.nextLine(in: buffer, from: offset)
                offset = end
                let pipelined = end < buffer.count
                switch found {
                case .line(let range):
                    lineReceived(UnsafeRawBufferPointer(rebasing: buffer[range]), pipelined: pipelined, &out)
                case .heldLine:
                    let line = framer.takeHeldLine()
                    line.withUnsafeBytes { lineReceived($0, pipelined: pipelined, &out) }
                    framer.reuse(line)
                case .error(let error):
                    framingError(error, &out)
                case .needMore:
                    break
                }
            case .data(var decoder):
                var content: [UInt8] = []
                let (consumed, ended) = decoder.decode(UnsafeRawBufferPointer(rebasing: buffer[offset...]), into: &content)
                offset += consumed
                state = .data(decoder)
                addContent(content, &out)
                if decoder.sawOverlongLine { refuseOverlongLine(&out) }
                if ended { finishData(&out) }
            case .chunk(var chunk):
                let n = Int(min(UInt64(buffer.count - offset), chunk.remaining))
                if chunk.refusal == nil { addContent(Array(buffer[offset..<(offset + n)]), &out) }
                offset += n
                chunk.remaining -= UInt64(n)
                state = .chunk(chunk)
                if chunk.remaining == 0 { finishChunk(chunk, &out) }
            case .notStarted, .awaitingCredentials, .awaitingDelivery, .awaitingTLSHandshake, .closed:
                return offset
            }
        }
        return offset
    }

    /// A whole line in command or AUTH-exchange state.
    private mutating func lineReceived(_ line: UnsafeRawBufferPointer, pipelined: Bool, _ out: inout [Action]) {
        switch state {
        case .command: command(line, pipelined: pipelined, &out)
        case .authExchange(let exchange): authenticationResponse(line, exchange, &out)
        default: break
        }
    }

    /// D12: framing errors come before everything else a line could mean.
    private mutating func framingError(_ error: SMTPSyntaxError, _ out: inout [Action]) {
        switch state {
        case .command:
            reject(.syntax(error), &out)
        case .authExchange:
            state = .command
            reject(error.kind == .lineTooLong ? .authenticationLineTooLong : .cannotDecode, &out)
        default:
            break
        }
    }
}
