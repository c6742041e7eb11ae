import ArgumentParser
import Foundation
import Logging
import RelayLedger

/// `--database URL`, defaulting to `DATABASE_URL`, and a running ``Ledger`` on it.
struct DatabaseOptions: ParsableArguments {
    @Option(name: .customLong("database"), help: "Postgres URL (default: $DATABASE_URL).")
    var url: String?

    @Option(help: "Where writes go while Postgres is unreachable.")
    var spool: String = ".relay/spool"

    func configuration() throws -> LedgerConfiguration {
        guard let url = url ?? ProcessInfo.processInfo.environment["DATABASE_URL"], !url.isEmpty else {
            throw ValidationError("no database: pass --database postgres://user@host:port/db or set DATABASE_URL")
        }
        do {
            var configuration = try LedgerConfiguration(url: url, maxConnections: 4)
            configuration.spoolDirectory = spool
            configuration.spoolDrainInterval = nil
            return configuration
        } catch let error as LedgerError {
            throw ValidationError(error.detail)
        }
    }

    /// Runs `body` with a running ledger and stops it afterwards.
    func withLedger<T: Sendable>(
        configure: (inout LedgerConfiguration) -> Void = { _ in },
        _ body: (Ledger) async throws -> T
    ) async throws -> T {
        var configuration = try configuration()
        configure(&configuration)
        var logger = Logger(label: "relay.ledger")
        logger.logLevel = .warning
        let ledger = Ledger(configuration: configuration, logger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await ledger.run() }
            defer { group.cancelAll() }
            return try await body(ledger)
        }
    }
}

/// Reads a user id argument, refusing an empty one.
func validateUser(_ user: String) throws {
    guard !user.trimmingCharacters(in: .whitespaces).isEmpty else { throw ValidationError("USER cannot be empty") }
}

extension Credits: ExpressibleByArgument {
    public init?(argument: String) {
        self.init(parsing: argument)
    }
}
