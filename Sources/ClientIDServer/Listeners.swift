// Sockets: listening ones (one per event loop, SO_REUSEPORT, after a plain bind
// has shown the port is free), a peer's address as the policy engine counts it,
// and how an address is written in logs.

import ClientIDPolicy
import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Binds `host:port` without SO_REUSEPORT and lets go: fails, as a plain `bind` would,
/// when anything listens there already, including another clientid-server whose sockets
/// would otherwise accept this one's SO_REUSEPORT listeners beside them.
func portIsFree(host: String, port: Int) throws {
    let address = try SocketAddress.makeAddressResolvingHost(host, port: port)
    let family = address.protocol.rawValue
    #if canImport(Glibc)
    let fd = socket(family, Int32(SOCK_STREAM.rawValue), 0)
    #else
    let fd = socket(family, SOCK_STREAM, 0)
    #endif
    let place = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    guard fd >= 0 else { throw ServerError("\(place): socket: \(String(cString: strerror(errno)))") }
    defer { close(fd) }
    var one: Int32 = 1
    _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
    if family == AF_INET6 {  // dual stack, as NIO's own sockets
        var zero: Int32 = 0
        _ = setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &zero, socklen_t(MemoryLayout<Int32>.size))
    }
    #if canImport(Glibc)
    let result = address.withSockAddr { pointer, length in Glibc.bind(fd, pointer, socklen_t(length)) }
    #else
    let result = address.withSockAddr { pointer, length in Darwin.bind(fd, pointer, socklen_t(length)) }
    #endif
    guard result == 0 else {
        let code = errno
        throw ServerError(
            "\(place): \(String(cString: strerror(code)))"
                + (code == EADDRINUSE ? " (another server, or another clientid-server, listens there)" : ""))
    }
}

func describe(_ address: SocketAddress) -> String {
    guard let ip = address.ipAddress, let port = address.port else { return "\(address)" }
    return ip.contains(":") ? "[\(ip)]:\(port)" : "\(ip):\(port)"
}

extension IPAddress {
    /// The address of a socket, read from its `sockaddr` (no text made and parsed per
    /// connection). IPv4-mapped IPv6 addresses are IPv4, as in `init?(_ text:)`.
    init?(socketAddress: SocketAddress) {
        switch socketAddress {
        case .v4(let address):
            self = .v4(UInt32(bigEndian: address.address.sin_addr.s_addr))
        case .v6(let address):
            var value: UInt128 = 0
            withUnsafeBytes(of: address.address.sin6_addr) { bytes in
                for byte in bytes { value = value << 8 | UInt128(byte) }
            }
            self = value >> 32 == 0xFFFF ? .v4(UInt32(truncatingIfNeeded: value)) : .v6(value)
        case .unixDomainSocket:
            return nil
        }
    }
}
