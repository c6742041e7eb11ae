import Foundation
import Logging
import PostgresNIO

/// Applies the numbered SQL files of a directory (`0001_name.sql`, …) that the database has not seen, in order,
/// each inside its own transaction, and records them in `relay_schema_migrations`.
///
/// Running it again is a no-op; concurrent runs wait for each other (an advisory lock); a file changed after it
/// was applied is refused.
public struct Migrator: Sendable {
    /// One migration file.
    public struct Migration: Sendable, Hashable {
        /// `0001`.
        public let version: String
        /// `0001_accounts_and_ledger.sql`.
        public let fileName: String
        public let sql: String
    }

    public let client: PostgresClient
    public let directory: String
    public let logger: Logger

    /// - Parameter client: a running client.
    public init(client: PostgresClient, directory: String = "migrations", logger: Logger = Logger(label: "relay.migrate")) {
        self.client = client
        self.directory = directory
        self.logger = logger
    }

    /// The directory's migrations, in order.
    public func migrations() throws -> [Migration] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory)
        } catch {
            throw LedgerError(.migrationFailed, "cannot read the migrations directory \(directory)")
        }
        var migrations: [Migration] = []
        for name in names.sorted() where name.hasSuffix(".sql") {
            let version = String(name.prefix { $0.isNumber })
            guard version.count == 4, name.dropFirst(4).first == "_" else {
                throw LedgerError(.migrationFailed, "\(name) is not named like 0001_name.sql")
            }
            guard let sql = FileManager.default.contents(atPath: directory + "/" + name).flatMap({ String(data: $0, encoding: .utf8) })
            else { throw LedgerError(.migrationFailed, "cannot read \(name) as UTF-8") }
            if let previous = migrations.last, previous.version == version {
                throw LedgerError(.migrationFailed, "\(previous.fileName) and \(name) share version \(version)")
            }
            migrations.append(Migration(version: version, fileName: name, sql: sql))
        }
        return migrations
    }

    /// Applies the missing migrations and returns the file names it applied (none on a second run).
    @discardableResult
    public func migrate() async throws -> [String] {
        var applied: [String] = []
        for migration in try migrations() {
            if try await apply(migration) {
                logger.info("migration applied", metadata: ["file": "\(migration.fileName)"])
                applied.append(migration.fileName)
            }
        }
        return applied
    }

    private func apply(_ migration: Migration) async throws -> Bool {
        let statements = SQLScript.statements(in: migration.sql)
        let logger = self.logger
        do {
            return try await client.withTransaction(logger: logger) { connection in
                try await connection.query("SELECT pg_advisory_xact_lock(72530001)", logger: logger)
                try await connection.query(
                    """
                    CREATE TABLE IF NOT EXISTS relay_schema_migrations (
                        version TEXT PRIMARY KEY, file_name TEXT NOT NULL, checksum TEXT NOT NULL,
                        applied_at TIMESTAMPTZ NOT NULL DEFAULT now())
                    """,
                    logger: logger
                )
                let rows = try await connection.query(
                    """
                    SELECT checksum = md5(\(migration.sql)) FROM relay_schema_migrations
                    WHERE version = \(migration.version)
                    """,
                    logger: logger
                )
                for try await unchanged in rows.decode(Bool.self) {
                    guard unchanged else {
                        throw LedgerError(.migrationFailed, "\(migration.fileName) changed after it was applied")
                    }
                    return false
                }
                for (index, statement) in statements.enumerated() {
                    do {
                        try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                    } catch let error as PSQLError {
                        let message = error.serverInfo?[.message] ?? "\(error.code)"
                        throw LedgerError(
                            .migrationFailed, "\(migration.fileName), statement \(index + 1): \(message)"
                        )
                    }
                }
                try await connection.query(
                    """
                    INSERT INTO relay_schema_migrations (version, file_name, checksum)
                    VALUES (\(migration.version), \(migration.fileName), md5(\(migration.sql)))
                    """,
                    logger: logger
                )
                return true
            }
        } catch let error as PostgresTransactionError {
            if let inner = error.closureError as? LedgerError { throw inner }
            throw LedgerError.wrapping(
                error.closureError ?? error.commitError ?? error.beginError ?? error,
                operation: "migrate \(migration.fileName)"
            )
        } catch {
            throw LedgerError.wrapping(error, operation: "migrate \(migration.fileName)")
        }
    }
}

extension Ledger {
    /// Applies the missing migrations of `directory` with this ledger's (running) client.
    @discardableResult
    public func migrate(directory: String = "migrations") async throws -> [String] {
        try await perform("migrate") { client in try await client.run("SELECT 1") }
        return try await Migrator(client: client, directory: directory, logger: logger).migrate()
    }
}
