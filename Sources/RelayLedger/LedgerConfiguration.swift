import Foundation
import PostgresNIO

/// How a ``Ledger`` reaches Postgres, where it spools, and where alerts go.
public struct LedgerConfiguration: Sendable {
    /// The Postgres client's configuration (host, credentials, TLS, pool size).
    public var postgres: PostgresClient.Configuration
    /// The longest an operation waits for Postgres before failing with `LEDGER_UNAVAILABLE`.
    public var operationTimeout: Duration = .seconds(5)
    /// While Postgres is unreachable, how often one operation tries it again; the others fail at once.
    public var unavailableRetryInterval: Duration = .seconds(1)
    /// Where settle, refund and usage writes go when Postgres is unreachable (JSON lines).
    public var spoolDirectory: String = ".relay/spool"
    /// How often the running ledger replays its spool; `nil`: only when ``Ledger/drainSpool()`` is called.
    public var spoolDrainInterval: Duration? = .seconds(5)
    /// Alert events are POSTed here as JSON, when set.
    public var alertWebhookURL: String?
    /// The longest one webhook POST may take.
    public var alertWebhookTimeout: Duration = .seconds(5)

    /// The most Postgres connections the ledger's pool opens.
    public var maximumConnections: Int {
        get { postgres.options.maximumConnections }
        set { postgres.options.maximumConnections = max(1, newValue) }
    }

    public init(postgres: PostgresClient.Configuration) {
        self.postgres = postgres
    }

    /// Reads `postgres://user[:password]@host[:port]/database[?sslmode=disable|prefer|require]`.
    /// `sslmode` defaults to `disable`; the pool keeps at most `maxConnections` (default 20).
    public init(url: String, maxConnections: Int = 20) throws {
        guard let components = URLComponents(string: url),
            components.scheme == "postgres" || components.scheme == "postgresql",
            let host = components.host, !host.isEmpty
        else {
            throw LedgerError(.invalidArgument, "the database URL must look like postgres://user@host:port/database")
        }
        let database = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        let mode = components.queryItems?.first { $0.name == "sslmode" }?.value ?? "disable"
        let tls: PostgresClient.Configuration.TLS
        switch mode {
        case "disable": tls = .disable
        case "prefer", "allow": tls = .prefer(.makeClientConfiguration())
        case "require", "verify-ca", "verify-full": tls = .require(.makeClientConfiguration())
        default: throw LedgerError(.invalidArgument, "unknown sslmode in the database URL")
        }
        var postgres = PostgresClient.Configuration(
            host: host,
            port: components.port ?? 5432,
            username: components.user?.removingPercentEncoding ?? "postgres",
            password: components.password?.removingPercentEncoding,
            database: database.isEmpty ? nil : database,
            tls: tls
        )
        postgres.options.maximumConnections = max(1, maxConnections)
        postgres.options.connectTimeout = .seconds(3)
        self.init(postgres: postgres)
    }
}
