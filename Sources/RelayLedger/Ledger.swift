import Logging
import PostgresNIO
import ServiceLifecycle

/// Credits and usage on Postgres: reserve before a provider call, settle after it, never twice.
///
/// A `Service`: run it (or put it in a `ServiceGroup`) before calling it; `run()` drives the Postgres pool, the
/// alert webhook and the periodic spool replay.
///
/// ```swift
/// let ledger = try Ledger(configuration: LedgerConfiguration(url: databaseURL), logger: logger)
/// let reservation = try await ledger.reserve(userId: user, jobId: job, amount: Credits(2))
/// let settlement = try await ledger.settle(usage)
/// ```
public final class Ledger: Service, Sendable {
    public let configuration: LedgerConfiguration
    let client: PostgresClient
    let logger: Logger
    let spool: Spool
    let alerts: AlertNotifier
    let availability: Availability

    public init(configuration: LedgerConfiguration, logger: Logger = Logger(label: "relay.ledger")) {
        self.configuration = configuration
        self.logger = logger
        // The pool logs every failed connection attempt; the ledger reports unavailability itself.
        var poolLogger = logger
        poolLogger.logLevel = max(logger.logLevel, .error)
        self.client = PostgresClient(configuration: configuration.postgres, backgroundLogger: poolLogger)
        self.spool = Spool(directory: configuration.spoolDirectory)
        self.availability = Availability(retryInterval: configuration.unavailableRetryInterval)
        self.alerts = AlertNotifier(
            webhookURL: configuration.alertWebhookURL,
            timeout: configuration.alertWebhookTimeout,
            logger: logger
        )
    }

    /// Runs the Postgres pool, the alert webhook and the spool replay until cancelled or shut down gracefully.
    public func run() async throws {
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                group.addTask { await self.client.run() }
                group.addTask { await self.alerts.run() }
                if let interval = self.configuration.spoolDrainInterval {
                    group.addTask { await self.drainPeriodically(every: interval) }
                }
            }
        }
    }

    /// Runs `body` against Postgres within the operation timeout, mapping failures to ``LedgerError``.
    func perform<T: Sendable>(
        _ operation: String,
        _ body: @escaping @Sendable (PostgresClient) async throws -> T
    ) async throws -> T {
        guard availability.mayTry() else {
            throw LedgerError(.ledgerUnavailable, "\(operation): Postgres was unreachable moments ago")
        }
        let client = self.client
        do {
            let result = try await withDeadline(configuration.operationTimeout, operation) { try await body(client) }
            availability.succeeded()
            return result
        } catch {
            let error = LedgerError.wrapping(error, operation: operation)
            if error.isUnavailable { availability.failed() } else { availability.succeeded() }
            throw error
        }
    }

    private func drainPeriodically(every interval: Duration) async {
        while !Task.isCancelled {
            do {
                try await Task.sleep(for: interval)
            } catch {
                return
            }
            guard spool.hasPendingRecords else { continue }
            do {
                _ = try await drainSpool()
            } catch {
                logger.debug("spool replay postponed", metadata: ["error": "\(error)"])
            }
        }
    }
}

/// Runs `body`, failing with `LEDGER_UNAVAILABLE` when it takes longer than `timeout`.
func withDeadline<T: Sendable>(
    _ timeout: Duration,
    _ operation: String,
    _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: timeout)
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let value = first else {
            throw LedgerError(.ledgerUnavailable, "\(operation): Postgres did not answer within \(timeout)")
        }
        return value
    }
}

extension PostgresClient {
    /// Runs `query` to completion and returns its first row.
    func firstRow(_ query: PostgresQuery) async throws -> PostgresRow {
        guard let row = try await self.query(query).collect().first else {
            throw LedgerError(.databaseError, "the statement returned no row")
        }
        return row
    }

    /// Runs `query` to completion, discarding its rows.
    func run(_ query: PostgresQuery) async throws {
        _ = try await self.query(query).collect()
    }
}

extension Ledger {
    /// Checks that Postgres answers (readiness).
    public func ping() async throws {
        try await perform("ping") { client in try await client.run("SELECT 1") }
    }
}
