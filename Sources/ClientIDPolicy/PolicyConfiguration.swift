// The policy an operator writes (docs/policy.md, docs/policy.example.yaml).
// Every field has a default, and the defaults let every client through (D22):
// a policy only restricts what its file asks for.
//
// Decoding is strict: an unknown key is an error (a typo must not silently
// turn a rule off), and values are checked against the draft's syntax (D2).

/// The whole policy. `PolicyConfiguration()` is the default policy.
public struct PolicyConfiguration: Sendable, Equatable {
    /// The format version; only 1 exists.
    public var version = 1
    /// Draft §7 flags per client-id-type (D19).
    public var types = TypeRules()
    /// Draft §6.1 item 1, use case 4.
    public var requireClientID = RequireClientID()
    /// Draft §6.1 items 2 and 3.
    public var acl = AccessLists()
    /// Draft §6.1 item 4.
    public var revocations: [Revocation] = []
    /// Draft §6.1 item 5, use cases 1 and 3.
    public var devices = DeviceBinding()
    /// Use case 2: one token used for many accounts.
    public var sharedToken = SharedTokenDetection()
    /// Draft §6.2 item 4, use case 7: one token seen from two distant networks.
    public var distantNetworks = DistantNetworkDetection()
    /// Use case 6, D21: per-device limits in addition to per-IP limits.
    public var limits = Limits()
    /// Bounds of the device registry.
    public var registry = RegistrySettings()
    /// What audit events may show of a token (D20, draft §9).
    public var privacy = Privacy()

    public init() {}

    public struct TypeRules: Sendable, Equatable {
        /// Flags for a type not listed in `known` (D19).
        public var `default`: ClientIDTypeFlags = [.systemLog, .authentication]
        /// Flags per type; keys are folded to upper case (D3).
        public var known: [String: ClientIDTypeFlags] = [:]

        public init() {}

        public func flags(for type: String) -> ClientIDTypeFlags {
            known[ClientIdentity.foldType(type)] ?? self.default
        }
    }

    public struct RequireClientID: Sendable, Equatable {
        /// AUTH succeeds only after a CLIENTID whose type is used for authentication.
        public var enabled = false
        /// When not empty: only these types satisfy the requirement.
        public var types: [String] = []
        public init() {}
    }

    public struct AccessLists: Sendable, Equatable {
        /// When not empty: an identity of another type cannot authenticate.
        public var allowTypes: [String] = []
        public var denyTypes: [String] = []
        /// Per type: when present, only these tokens of that type can authenticate (license keys).
        public var allowTokens: [String: [String]] = [:]
        public var denyTokens: [String: [String]] = [:]
        public init() {}
    }

    public struct Revocation: Sendable, Equatable {
        public var type: String
        /// nil: every token of the type.
        public var token: String?
        /// nil: permanent; otherwise the revocation ends at this time.
        public var until: Timestamp?
        /// For the audit log only.
        public var reason: String?

        public init(type: String, token: String? = nil, until: Timestamp? = nil, reason: String? = nil) {
            self.type = ClientIdentity.foldType(type)
            self.token = token
            self.until = until
            self.reason = reason
        }
    }

    public struct DeviceEntry: Sendable, Equatable, Hashable {
        public var type: String
        public var token: String
        public init(type: String, token: String) {
            self.type = ClientIdentity.foldType(type)
            self.token = token
        }
        public var identity: ClientIdentity { ClientIdentity(type: type, token: token) }
    }

    public struct DeviceBinding: Sendable, Equatable {
        public enum Mode: String, Sendable, Equatable {
            /// No per-account device restriction.
            case off
            /// Accounts under `accounts` may authenticate only from their listed devices.
            case listed
            /// Every account learns the devices it uses (up to `maxDevices`, during
            /// `learningPeriod` after its first one), then only those and its listed ones.
            case learn
        }
        public var mode: Mode = .off
        public var maxDevices: Int?
        public var learningPeriod: PolicyDuration?
        /// Devices per account name (as the driver passes it, compared exactly).
        public var accounts: [String: [DeviceEntry]] = [:]
        public init() {}
    }

    public struct SharedTokenDetection: Sendable, Equatable {
        /// More distinct accounts than this for one device within `window` is refused; 0 turns it off.
        public var maxAccounts = 0
        public var window: PolicyDuration = .hours(24)
        public init() {}
    }

    public struct DistantNetworkDetection: Sendable, Equatable {
        public var enabled = false
        /// A device seen from another network within this time is refused.
        public var window: PolicyDuration = .hours(1)
        public var ipv4PrefixLength = 24
        public var ipv6PrefixLength = 64
        public init() {}
    }

    public struct LimitSet: Sendable, Equatable {
        /// More open connections than this is refused at AUTH; 0 turns it off.
        public var maxConnections = 0
        /// This many refused AUTH attempts within `window` refuses the next ones; 0 turns it off.
        public var maxAuthFailures = 0
        public var window: PolicyDuration = .minutes(15)
        public init() {}
    }

    public struct Limits: Sendable, Equatable {
        public var perDevice = LimitSet()
        public var perIP = LimitSet()
        public init() {}
    }

    /// Draft §9: a token may identify a device and so its owner. Events carry the
    /// device's fingerprint (`DeviceKey.fingerprint`, keyed: useless without the
    /// server's secret) and never the raw token, unless the operator opts in here.
    public struct Privacy: Sendable, Equatable {
        /// Raw tokens in audit events (the operator's log, the user log, debug output)
        /// where the type's flags ask for them (`system-log`, `user-log`, `debug`).
        /// Off by default: on, logs hold personal data in the clear (MAC addresses,
        /// serial numbers, licence keys) and must be protected and expired as such.
        public var logRawTokens = false
        public init() {}

        /// Whether an event for `destination` carries the raw token of a type with `flags`
        /// (D19, D20). Alerts never do: they go to whoever watches them.
        public func logsToken(_ destination: AuditEvent.Destination, flags: ClientIDTypeFlags) -> Bool {
            guard logRawTokens, !flags.contains(.ignore) else { return false }
            switch destination {
            case .system: return flags.contains(.systemLog)
            case .user: return flags.contains(.userLog)
            case .debug: return flags.contains(.debug)
            case .alert: return false
            }
        }
    }

    public struct RegistrySettings: Sendable, Equatable {
        /// Records kept; beyond it the oldest untrusted, then the oldest trusted go first.
        public var maxEntries = 100_000
        /// Records not seen for this long are removed.
        public var maxAge: PolicyDuration = .days(180)
        public init() {}
    }
}

/// Why a policy file cannot be used: the path of the bad value and what is wrong.
public struct PolicyConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    public let path: String
    public let problem: String
    public init(path: String, problem: String) {
        self.path = path
        self.problem = problem
    }
    public var description: String { "\(path): \(problem)" }
}

extension PolicyConfiguration {
    /// D2: `client-id-type = 1*16(ALPHA / DIGIT / "-")`.
    static func isValidType(_ type: String) -> Bool {
        (1...16).contains(type.utf8.count)
            && type.utf8.allSatisfy { b in
                (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || (b >= 0x30 && b <= 0x39) || b == 0x2D
            }
    }

    /// D2: `client-id-token = 1*128VCHAR`.
    static func isValidToken(_ token: String) -> Bool {
        (1...128).contains(token.utf8.count) && token.utf8.allSatisfy { $0 >= 0x21 && $0 <= 0x7E }
    }

    /// Checks what the types cannot express. Called by the decoder; call it after building one in code.
    public func validate() throws(PolicyConfigurationError) {
        func type(_ t: String, _ path: String) throws(PolicyConfigurationError) {
            if !Self.isValidType(t) {
                throw PolicyConfigurationError(
                    path: path, problem: "\"\(t)\" is not a client-id-type (1-16 letters, digits, \"-\"; D2)")
            }
        }
        func token(_ t: String, _ path: String) throws(PolicyConfigurationError) {
            if !Self.isValidToken(t) {
                throw PolicyConfigurationError(path: path, problem: "not a client-id-token (1-128 printable ASCII, no space; D2)")
            }
        }
        if version != 1 { throw PolicyConfigurationError(path: "version", problem: "only version 1 exists") }
        for t in types.known.keys { try type(t, "types.known.\(t)") }
        for t in requireClientID.types { try type(t, "requireClientID.types") }
        for t in acl.allowTypes { try type(t, "acl.allowTypes") }
        for t in acl.denyTypes { try type(t, "acl.denyTypes") }
        for (name, lists) in [("allowTokens", acl.allowTokens), ("denyTokens", acl.denyTokens)] {
            for (t, tokens) in lists {
                try type(t, "acl.\(name).\(t)")
                for k in tokens { try token(k, "acl.\(name).\(t)") }
            }
        }
        for (i, r) in revocations.enumerated() {
            try type(r.type, "revocations[\(i)].type")
            if let k = r.token { try token(k, "revocations[\(i)].token") }
        }
        for (account, entries) in devices.accounts {
            for (i, e) in entries.enumerated() {
                try type(e.type, "devices.accounts.\(account)[\(i)].type")
                try token(e.token, "devices.accounts.\(account)[\(i)].token")
            }
        }
        if let n = devices.maxDevices, n < 1 {
            throw PolicyConfigurationError(path: "devices.maxDevices", problem: "must be at least 1")
        }
        if devices.mode == .learn && devices.maxDevices == nil && devices.learningPeriod == nil {
            throw PolicyConfigurationError(
                path: "devices", problem: "learn mode needs maxDevices or learningPeriod, or it never stops learning")
        }
        if sharedToken.maxAccounts < 0 {
            throw PolicyConfigurationError(path: "sharedToken.maxAccounts", problem: "must not be negative")
        }
        if !(0...32).contains(distantNetworks.ipv4PrefixLength) {
            throw PolicyConfigurationError(path: "distantNetworks.ipv4PrefixLength", problem: "must be 0-32")
        }
        if !(0...128).contains(distantNetworks.ipv6PrefixLength) {
            throw PolicyConfigurationError(path: "distantNetworks.ipv6PrefixLength", problem: "must be 0-128")
        }
        for (name, set) in [("perDevice", limits.perDevice), ("perIP", limits.perIP)] {
            if set.maxConnections < 0 || set.maxAuthFailures < 0 {
                throw PolicyConfigurationError(path: "limits.\(name)", problem: "limits must not be negative")
            }
            if set.window.seconds <= 0 {
                throw PolicyConfigurationError(path: "limits.\(name).window", problem: "must be positive")
            }
        }
        if registry.maxEntries < 1 { throw PolicyConfigurationError(path: "registry.maxEntries", problem: "must be at least 1") }
        if registry.maxAge.seconds <= 0 { throw PolicyConfigurationError(path: "registry.maxAge", problem: "must be positive") }
    }
}
