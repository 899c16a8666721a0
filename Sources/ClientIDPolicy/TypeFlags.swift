// Draft §7: "a server associates a set of flags that describes how the CLIENTID
// command should be handled for any given client identity type" (D19).

/// The eight flags of draft §7, in its order. Policy files name them in kebab case.
public struct ClientIDTypeFlags: OptionSet, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// 1. "Handled but treat as not presented (ignored, no persistance)".
    public static let ignore = ClientIDTypeFlags(rawValue: 1 << 0)
    /// 2. "Store in SMTP session but treat as not presented (for debug)".
    public static let debug = ClientIDTypeFlags(rawValue: 1 << 1)
    /// 3. "Store in the SMTP session, so it is available to System log".
    public static let systemLog = ClientIDTypeFlags(rawValue: 1 << 2)
    /// 4. "Store in the SMTP session, so it is available to User log".
    public static let userLog = ClientIDTypeFlags(rawValue: 1 << 3)
    /// 5. "Use for authentication": device lists, learning, detections, per-device limits.
    public static let authentication = ClientIDTypeFlags(rawValue: 1 << 4)
    /// 6. "Use for alert when authentication fails".
    public static let alertOnFailure = ClientIDTypeFlags(rawValue: 1 << 5)
    /// 7. "Use for alert when authentication succeeds".
    public static let alertOnSuccess = ClientIDTypeFlags(rawValue: 1 << 6)
    /// 8. "Unused": accepted and without effect.
    public static let unused = ClientIDTypeFlags(rawValue: 1 << 7)

    /// The names used in policy files, in draft §7 order.
    public static let names: [(String, ClientIDTypeFlags)] = [
        ("ignore", .ignore), ("debug", .debug), ("system-log", .systemLog), ("user-log", .userLog),
        ("authentication", .authentication), ("alert-on-failure", .alertOnFailure),
        ("alert-on-success", .alertOnSuccess), ("unused", .unused),
    ]

    public init?(names: [String]) {
        var flags: ClientIDTypeFlags = []
        for name in names {
            guard let flag = Self.names.first(where: { $0.0 == name })?.1 else { return nil }
            flags.insert(flag)
        }
        self = flags
    }

    /// The identity takes part in policy decisions: "use for authentication" and not
    /// "treat as not presented" (flags 1 and 2 win over 5).
    public var usedForPolicy: Bool { contains(.authentication) && isDisjoint(with: [.ignore, .debug]) }

    public var description: String {
        "[" + Self.names.filter { contains($0.1) }.map(\.0).joined(separator: ", ") + "]"
    }
}
