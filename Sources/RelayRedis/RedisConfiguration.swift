/// Where and how to reach a Redis server.
///
/// Read a `redis://user:password@host:port/db` URL with ``init(url:)``; TLS (`rediss://`), Sentinel and
/// Cluster are not supported yet.
public struct RedisConfiguration: Sendable, CustomStringConvertible {
    public var host: String
    public var port: Int
    public var username: String?
    public var password: String?
    public var database: Int
    /// Pipelined connections shared by every command; commands are spread over them round-robin.
    public var connectionCount: Int
    /// Dedicated connections (blocking commands, WATCH) kept open for reuse after they are returned.
    public var maxIdleDedicatedConnections: Int
    /// How long one attempt to open a TCP connection may take.
    public var connectTimeout: Duration
    /// How connections are reopened after the server went away.
    public var reconnect: RedisReconnectPolicy

    public init(
        host: String = "127.0.0.1",
        port: Int = 6379,
        username: String? = nil,
        password: String? = nil,
        database: Int = 0,
        connectionCount: Int = 2,
        maxIdleDedicatedConnections: Int = 16,
        connectTimeout: Duration = .seconds(5),
        reconnect: RedisReconnectPolicy = .init()
    ) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database
        self.connectionCount = max(1, connectionCount)
        self.maxIdleDedicatedConnections = maxIdleDedicatedConnections
        self.connectTimeout = connectTimeout
        self.reconnect = reconnect
    }

    /// Reads `redis://[[user]:password@]host[:port][/db]`.
    public init(url: String) throws {
        self.init()
        guard let schemeEnd = url.firstRange(of: "://") else {
            throw RedisClientError(.invalidURL, "a Redis URL starts with redis://")
        }
        let scheme = url[..<schemeEnd.lowerBound].lowercased()
        if scheme == "rediss" {
            throw RedisClientError(.unsupported, "TLS (rediss://) is not supported yet")
        }
        guard scheme == "redis" else {
            throw RedisClientError(.invalidURL, "unknown scheme '\(scheme)'; a Redis URL starts with redis://")
        }
        var rest = url[schemeEnd.upperBound...]
        if let query = rest.firstIndex(of: "?") { rest = rest[..<query] }
        if let at = rest.lastIndex(of: "@") {
            let credentials = rest[..<at]
            rest = rest[rest.index(after: at)...]
            if let colon = credentials.firstIndex(of: ":") {
                let user = String(credentials[..<colon]).removingPercentEncoding
                username = user.isEmpty ? nil : user
                password = String(credentials[credentials.index(after: colon)...]).removingPercentEncoding
            } else if !credentials.isEmpty {
                password = String(credentials).removingPercentEncoding
            }
        }
        var hostPort = rest
        if let slash = rest.firstIndex(of: "/") {
            hostPort = rest[..<slash]
            let path = rest[rest.index(after: slash)...]
            if !path.isEmpty {
                guard let db = Int(path), db >= 0 else {
                    throw RedisClientError(.invalidURL, "the database in a Redis URL is a number, as in /0")
                }
                database = db
            }
        }
        if hostPort.hasPrefix("["), let close = hostPort.firstIndex(of: "]") {
            host = String(hostPort[hostPort.index(after: hostPort.startIndex)..<close])
            hostPort = hostPort[hostPort.index(after: close)...]
            if hostPort.hasPrefix(":") { try readPort(hostPort.dropFirst()) }
        } else if let colon = hostPort.lastIndex(of: ":") {
            host = String(hostPort[..<colon])
            try readPort(hostPort[hostPort.index(after: colon)...])
        } else {
            host = String(hostPort)
        }
        if host.isEmpty { host = "127.0.0.1" }
    }

    private mutating func readPort(_ text: Substring) throws {
        guard let port = Int(text), (1...65535).contains(port) else {
            throw RedisClientError(.invalidURL, "the port in a Redis URL is a number from 1 to 65535")
        }
        self.port = port
    }

    /// The server's address and database, without credentials.
    public var description: String {
        "redis://\(password == nil ? "" : "***@")\(host):\(port)/\(database)"
    }
}

extension String {
    fileprivate var removingPercentEncoding: String {
        var bytes: [UInt8] = []
        var iterator = utf8.makeIterator()
        while let byte = iterator.next() {
            if byte == UInt8(ascii: "%"), let high = iterator.next(), let low = iterator.next(),
                let value = UInt8(String(decoding: [high, low], as: UTF8.self), radix: 16)
            {
                bytes.append(value)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
