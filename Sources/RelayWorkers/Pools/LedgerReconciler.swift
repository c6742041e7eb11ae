import BullQueue
import Logging
import RelayLedger

/// Closes what dead workers left open, from every worker process: every ``interval`` it settles (by their usage
/// log) or refunds the reservations older than the longest a job of these pools can take, plus a margin for a
/// Postgres outage. The ledger's advisory locks make concurrent runs safe.
public struct LedgerReconciler: Sendable {
    public static let interval: Duration = .seconds(300)
    public let ledger: Ledger
    /// Reservations younger than this are left alone.
    public let olderThan: Duration
    let logger: Logger

    public init(ledger: Ledger, configuration: WorkersConfiguration, logger: Logger) {
        self.ledger = ledger
        let longest = configuration.pools.map { $0.timeout * $0.attempts + ($0.backoff?.delay ?? 0) * $0.attempts }.max() ?? 0
        self.olderThan = .milliseconds(longest) + .seconds(900)
        self.logger = logger
    }

    /// Reconciles until cancelled.
    public func run() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: Self.interval)
            guard !Task.isCancelled else { return }
            do {
                let report = try await ledger.reconcile(olderThan: olderThan)
                if !report.settled.isEmpty || !report.refunded.isEmpty {
                    logger.warning(
                        "reconciled reservations left open",
                        metadata: ["settled": "\(report.settled.count)", "refunded": "\(report.refunded.count)"]
                    )
                }
            } catch {
                logger.debug("reconcile postponed", metadata: ["error": "\(error)"])
            }
        }
    }
}
