// Decodable conformances of the policy model, for any decoder (YAML via
// ClientIDPolicyYAML, JSON via Foundation). Strict: unknown keys are errors,
// missing keys take the defaults of PolicyConfiguration.

struct PolicyKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ s: String) { stringValue = s }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

/// A keyed container that refuses keys it was not told about.
struct StrictContainer {
    let container: KeyedDecodingContainer<PolicyKey>

    init(_ decoder: any Decoder, known: Set<String>) throws {
        container = try decoder.container(keyedBy: PolicyKey.self)
        for key in container.allKeys where !known.contains(key.stringValue) {
            throw DecodingError.dataCorruptedError(
                forKey: key, in: container,
                debugDescription: "unknown key \"\(key.stringValue)\"; expected one of \(known.sorted().joined(separator: ", "))")
        }
    }

    func callAsFunction<T: Decodable>(_ key: String, default value: T) throws -> T {
        try container.decodeIfPresent(T.self, forKey: PolicyKey(key)) ?? value
    }

    func optional<T: Decodable>(_ key: String) throws -> T? {
        try container.decodeIfPresent(T.self, forKey: PolicyKey(key))
    }
}

extension PolicyConfiguration: Decodable {
    public init(from decoder: any Decoder) throws {
        let c = try StrictContainer(
            decoder,
            known: [
                "version", "types", "requireClientID", "acl", "revocations", "devices", "sharedToken",
                "distantNetworks", "limits", "registry", "privacy",
            ])
        self.init()
        version = try c("version", default: version)
        types = try c("types", default: types)
        requireClientID = try c("requireClientID", default: requireClientID)
        acl = try c("acl", default: acl)
        revocations = try c("revocations", default: revocations)
        devices = try c("devices", default: devices)
        sharedToken = try c("sharedToken", default: sharedToken)
        distantNetworks = try c("distantNetworks", default: distantNetworks)
        limits = try c("limits", default: limits)
        registry = try c("registry", default: registry)
        privacy = try c("privacy", default: privacy)
        do throws(PolicyConfigurationError) {
            try validate()
        } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.description))
        }
    }
}

extension ClientIDTypeFlags: Decodable {
    public init(from decoder: any Decoder) throws {
        let names = try decoder.singleValueContainer().decode([String].self)
        guard let flags = ClientIDTypeFlags(names: names) else {
            throw DecodingError.dataCorrupted(
                .init(
                    codingPath: decoder.codingPath,
                    debugDescription: "unknown flag in \(names); flags are \(Self.names.map(\.0).joined(separator: ", "))"))
        }
        self = flags
    }
}

extension PolicyDuration: Decodable {
    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let n = try? c.decode(Int64.self), n >= 0 {
            self.init(seconds: n)
        } else if let s = try? c.decode(String.self), let d = PolicyDuration(parsing: s) {
            self = d
        } else {
            throw DecodingError.dataCorruptedError(
                in: c, debugDescription: "a duration is seconds or a number with s, m, h, d or w")
        }
    }
}

extension Timestamp: Decodable {
    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let s = try? c.decode(String.self), let t = Timestamp(rfc3339: s) {
            self = t
        } else if let n = try? c.decode(Int64.self) {
            self.init(secondsSinceEpoch: n)
        } else {
            throw DecodingError.dataCorruptedError(
                in: c, debugDescription: "a time is RFC 3339 (\"2027-01-31T00:00:00Z\") or seconds since 1970")
        }
    }
}

extension PolicyConfiguration.TypeRules: Decodable {
    public init(from decoder: any Decoder) throws {
        let c = try StrictContainer(decoder, known: ["default", "known"])
        self.init()
        self.default = try c("default", default: self.default)
        let known: [String: ClientIDTypeFlags] = try c("known", default: [:])
        self.known = Dictionary(known.map { (ClientIdentity.foldType($0.key), $0.value) }, uniquingKeysWith: { $0.union($1) })
    }
}

extension PolicyConfiguration.RequireClientID: Decodable {
    public init(from decoder: any Decoder) throws {
        let c = try StrictContainer(decoder, known: ["enabled", "types"])
        self.init()
        enabled = try c("enabled", default: enabled)
        types = try c("types", default: types).map(ClientIdentity.foldType)
    }
}

extension PolicyConfiguration.AccessLists: Decodable {
    public init(from decoder: any Decoder) throws {
        let c = try StrictContainer(decoder, known: ["allowTypes", "denyTypes", "allowTokens", "denyTokens"])
        self.init()
        allowTypes = try c("allowTypes", default: allowTypes).map(ClientIdentity.foldType)
        denyTypes = try c("denyTypes", default: denyTypes).map(ClientIdentity.foldType)
        func fold(_ lists: [String: [String]]) -> [String: [String]] {
            Dictionary(lists.map { (ClientIdentity.foldType($0.key), $0.value) }, uniquingKeysWith: +)
        }
        allowTokens = fold(try c("allowTokens", default: allowTokens))
        denyTokens = fold(try c("denyTokens", default: denyTokens))
    }
}

extension PolicyConfiguration.Revocation: Decodable {
    public init(from decoder: any Decoder) throws {
        let c = try StrictContainer(decoder, known: ["type", "token", "until", "reason"])
        guard let type: String = try c.optional("type") else {
            throw DecodingError.keyNotFound(
                PolicyKey("type"), .init(codingPath: decoder.codingPath, debugDescription: "a revocation names a type"))
        }
        self.init(type: type, token: try c.optional("token"), until: try c.optional("until"), reason: try c.optional("reason"))
    }
}

extension PolicyConfiguration.DeviceEntry: Decodable {
    public init(from decoder: any Decoder) throws {
        let c = try StrictContainer(decoder, known: ["type", "token"])
        guard let type: String = try c.optional("type"), let token: String = try c.optional("token") else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: "a device has a type and a token"))
        }
        self.init(type: type, token: token)
    }
}

extension PolicyConfiguration.DeviceBinding.Mode: Decodable {}

extension PolicyConfiguration.DeviceBinding: Decodable {
    public init(from decoder: any Decoder) throws {
        let c = try StrictContainer(decoder, known: ["mode", "maxDevices", "learningPeriod", "accounts"])
        self.init()
        mode = try c("mode", default: mode)
        maxDevices = try c.optional("maxDevices")
        learningPeriod = try c.optional("learningPeriod")
        accounts = try c("accounts", default: accounts)
    }
}

extension PolicyConfiguration.SharedTokenDetection: Decodable {
    public init(from decoder: any Decoder) throws {
        let c = try StrictContainer(decoder, known: ["maxAccounts", "window"])
        self.init()
        maxAccounts = try c("maxAccounts", default: maxAccounts)
        window = try c("window", default: window)
    }
}

extension PolicyConfiguration.DistantNetworkDetection: Decodable {
    public init(from decoder: any Decoder) throws {
        let c = try StrictContainer(decoder, known: ["enabled", "window", "ipv4PrefixLength", "ipv6PrefixLength"])
        self.init()
        enabled = try c("enabled", default: enabled)
        window = try c("window", default: window)
        ipv4PrefixLength = try c("ipv4PrefixLength", default: ipv4PrefixLength)
        ipv6PrefixLength = try c("ipv6PrefixLength", default: ipv6PrefixLength)
    }
}

extension PolicyConfiguration.LimitSet: Decodable {
    public init(from decoder: any Decoder) throws {
        let c = try StrictContainer(decoder, known: ["maxConnections", "maxAuthFailures", "window"])
        self.init()
        maxConnections = try c("maxConnections", default: maxConnections)
        maxAuthFailures = try c("maxAuthFailures", default: maxAuthFailures)
        window = try c("window", default: window)
    }
}

extension PolicyConfiguration.Limits: Decodable {
    public init(from decoder: any Decoder) throws {
        let c = try StrictContainer(decoder, known: ["perDevice", "perIP"])
        self.init()
        perDevice = try c("perDevice", default: perDevice)
        perIP = try c("perIP", default: perIP)
    }
}

extension PolicyConfiguration.RegistrySettings: Decodable {
    public init(from decoder: any Decoder) throws {
        let c = try StrictContainer(decoder, known: ["maxEntries", "maxAge"])
        self.init()
        maxEntries = try c("maxEntries", default: maxEntries)
        maxAge = try c("maxAge", default: maxAge)
    }
}

extension PolicyConfiguration.Privacy: Decodable {
    public init(from decoder: any Decoder) throws {
        let c = try StrictContainer(decoder, known: ["logRawTokens"])
        self.init()
        logRawTokens = try c("logRawTokens", default: logRawTokens)
    }
}
