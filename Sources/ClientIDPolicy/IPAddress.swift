// Client addresses and the networks they belong to: per-IP limits (D21) and the
// "two distant networks" detection (draft §6.2 item 4) compare networks, not
// addresses: a /24 for IPv4 and a /64 for IPv6 by default.

/// An IPv4 or IPv6 address. IPv4-mapped IPv6 addresses (`::ffff:a.b.c.d`) are IPv4.
public enum IPAddress: Hashable, Sendable, CustomStringConvertible {
    case v4(UInt32)
    case v6(UInt128)

    /// Parses dotted-quad IPv4 or RFC 4291 §2.2 IPv6 text (with "::" and a trailing IPv4 part).
    public init?(_ text: String) {
        if let v4 = Self.parseV4(Substring(text)) {
            self = .v4(v4)
        } else if let v6 = Self.parseV6(text) {
            self = v6 >> 32 == 0xFFFF ? .v4(UInt32(truncatingIfNeeded: v6)) : .v6(v6)
        } else {
            return nil
        }
    }

    static func parseV4(_ text: Substring) -> UInt32? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var value: UInt32 = 0
        for part in parts {
            guard (1...3).contains(part.count), part.allSatisfy({ $0.isASCII && $0.isNumber }),
                let n = UInt32(part), n <= 255, part.count == 1 || part.first != "0"
            else { return nil }
            value = value << 8 | n
        }
        return value
    }

    static func parseV6(_ text: String) -> UInt128? {
        let halves = text.split(separator: "::", omittingEmptySubsequences: false).map(String.init)
        guard halves.count <= 2 else { return nil }
        func groups(_ s: String, allowV4: Bool) -> [UInt16]? {
            if s.isEmpty { return [] }
            var out: [UInt16] = []
            let parts = s.split(separator: ":", omittingEmptySubsequences: false)
            for (i, part) in parts.enumerated() {
                if allowV4 && i == parts.count - 1 && part.contains(".") {
                    guard let v4 = parseV4(part) else { return nil }
                    out += [UInt16(v4 >> 16), UInt16(v4 & 0xFFFF)]
                } else {
                    guard (1...4).contains(part.count), let g = UInt16(part, radix: 16) else { return nil }
                    out.append(g)
                }
            }
            return out
        }
        let all: [UInt16]
        if halves.count == 2 {
            guard let left = groups(halves[0], allowV4: false), let right = groups(halves[1], allowV4: true),
                left.count + right.count <= 7
            else { return nil }
            all = left + Array(repeating: 0, count: 8 - left.count - right.count) + right
        } else {
            guard let groups = groups(text, allowV4: true), groups.count == 8 else { return nil }
            all = groups
        }
        return all.reduce(UInt128(0)) { $0 << 16 | UInt128($1) }
    }

    /// The network of `prefixLength` bits containing this address (the family's own length).
    public func network(ipv4PrefixLength: Int = 24, ipv6PrefixLength: Int = 64) -> NetworkPrefix {
        switch self {
        case .v4(let a):
            let n = max(0, min(32, ipv4PrefixLength))
            let mask: UInt32 = n == 0 ? 0 : ~UInt32(0) << (32 - n)
            return NetworkPrefix(address: .v4(a & mask), length: n)
        case .v6(let a):
            let n = max(0, min(128, ipv6PrefixLength))
            let mask: UInt128 = n == 0 ? 0 : ~UInt128(0) << (128 - n)
            return NetworkPrefix(address: .v6(a & mask), length: n)
        }
    }

    /// Dotted quad, or RFC 5952 text (lower case, longest zero run as "::").
    public var description: String {
        switch self {
        case .v4(let a):
            return "\(a >> 24).\(a >> 16 & 255).\(a >> 8 & 255).\(a & 255)"
        case .v6(let a):
            let groups = (0..<8).map { UInt16(truncatingIfNeeded: a >> (112 - 16 * $0)) }
            var best = (start: -1, length: 0)
            var i = 0
            while i < 8 {
                guard groups[i] == 0 else { i += 1; continue }
                var j = i
                while j < 8 && groups[j] == 0 { j += 1 }
                if j - i > best.length && j - i >= 2 { best = (i, j - i) }
                i = j
            }
            func hex(_ r: ArraySlice<UInt16>) -> String { r.map { String($0, radix: 16) }.joined(separator: ":") }
            guard best.start >= 0 else { return hex(groups[...]) }
            return hex(groups[..<best.start]) + "::" + hex(groups[(best.start + best.length)...])
        }
    }
}

/// A network: an address with its host bits cleared and a prefix length.
public struct NetworkPrefix: Hashable, Sendable, CustomStringConvertible, LosslessStringConvertible {
    public let address: IPAddress
    public let length: Int

    public init(address: IPAddress, length: Int) {
        self.address = address
        self.length = length
    }

    /// "192.0.2.0/24", "2001:db8::/64".
    public init?(_ description: String) {
        let parts = description.split(separator: "/")
        guard parts.count == 2, let address = IPAddress(String(parts[0])), let length = Int(parts[1]) else { return nil }
        self = address.network(ipv4PrefixLength: length, ipv6PrefixLength: length)
    }

    public var description: String { "\(address)/\(length)" }
}
