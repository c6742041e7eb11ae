import PostgresNIO

/// Totals over a set of users, for checking the ledger end to end (`relay bench ledger` uses it).
public struct LedgerAudit: Sendable, Hashable {
    /// Grants and adjustments.
    public let granted: Credits
    /// Charged by settle entries.
    public let charged: Credits
    /// Summed over the users' usage logs.
    public let usageCredits: Credits
    public let settleEntries: Int64
    public let refundEntries: Int64
    public let usageLogs: Int64
    /// Summed over the users' accounts (cached).
    public let available: Credits
    public let reserved: Credits
    /// Summed over the users' ledger entries.
    public let recomputedAvailable: Credits
    public let recomputedReserved: Credits

    /// Cached balances match the entries, and every credit granted is either available, reserved or charged.
    public var isConsistent: Bool {
        available == recomputedAvailable && reserved == recomputedReserved
            && granted == available + reserved + charged && charged == usageCredits
    }
}

extension Ledger {
    /// Totals the ledger, the usage logs and the accounts of `userIds`.
    public func audit(userIds: [String]) async throws -> LedgerAudit {
        try await perform("audit") { client in
            let row = try await client.firstRow(
                """
                SELECT
                  coalesce(sum(available_delta) FILTER (WHERE kind IN ('grant', 'adjust')), 0)::BIGINT,
                  coalesce(sum(-(available_delta + reserved_delta)) FILTER (WHERE kind = 'settle'), 0)::BIGINT,
                  (SELECT coalesce(sum(credits), 0)::BIGINT FROM usage_logs WHERE user_id = ANY(\(userIds))),
                  count(*) FILTER (WHERE kind = 'settle'), count(*) FILTER (WHERE kind = 'refund'),
                  (SELECT count(*) FROM usage_logs WHERE user_id = ANY(\(userIds))),
                  (SELECT coalesce(sum(available), 0)::BIGINT FROM accounts WHERE user_id = ANY(\(userIds))),
                  (SELECT coalesce(sum(reserved), 0)::BIGINT FROM accounts WHERE user_id = ANY(\(userIds))),
                  coalesce(sum(available_delta), 0)::BIGINT, coalesce(sum(reserved_delta), 0)::BIGINT
                FROM ledger_entries WHERE user_id = ANY(\(userIds))
                """
            )
            let (granted, charged, usage, settles, refunds, logs, available, reserved, entryAvailable, entryReserved) =
                try row.decode((Int64, Int64, Int64, Int64, Int64, Int64, Int64, Int64, Int64, Int64).self)
            return LedgerAudit(
                granted: Credits(micros: granted), charged: Credits(micros: charged),
                usageCredits: Credits(micros: usage), settleEntries: settles, refundEntries: refunds, usageLogs: logs,
                available: Credits(micros: available), reserved: Credits(micros: reserved),
                recomputedAvailable: Credits(micros: entryAvailable), recomputedReserved: Credits(micros: entryReserved)
            )
        }
    }
}
