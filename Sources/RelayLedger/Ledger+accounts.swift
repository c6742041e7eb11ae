import PostgresNIO
extension Ledger {
    /// Adds credits to the user's account (created on first use). Returns the available balance afterwards.
    @discardableResult
    public func grant(userId: String, amount: Credits, note: String? = nil) async throws -> Credits {
        guard amount.micros > 0 else { throw LedgerError(.invalidArgument, "a grant must be positive") }
        return try await append(kind: "grant", userId: userId, amount: amount, note: note)
    }

    /// Corrects the user's balance by a positive or negative amount (an admin's adjustment; the balance may go
    /// below zero). Returns the available balance afterwards.
    @discardableResult
    public func adjust(userId: String, amount: Credits, note: String? = nil) async throws -> Credits {
        guard amount.micros != 0 else { throw LedgerError(.invalidArgument, "an adjustment cannot be zero") }
        return try await append(kind: "adjust", userId: userId, amount: amount, note: note)
    }

    /// The user's balance, cached and recomputed from every ledger entry.
    public func balance(userId: String) async throws -> Balance {
        guard !userId.isEmpty else { throw LedgerError(.invalidArgument, "a balance needs a user id") }
        let (available, reserved, entryAvailable, entryReserved) = try await perform("balance") { client in
            try await client.firstRow(
                """
                SELECT coalesce((SELECT available FROM accounts WHERE user_id = \(userId)), 0),
                       coalesce((SELECT reserved FROM accounts WHERE user_id = \(userId)), 0),
                       coalesce(sum(available_delta), 0)::BIGINT, coalesce(sum(reserved_delta), 0)::BIGINT
                FROM ledger_entries WHERE user_id = \(userId)
                """
            ).decode((Int64, Int64, Int64, Int64).self)
        }
        return Balance(
            userId: userId,
            available: Credits(micros: available),
            reserved: Credits(micros: reserved),
            recomputedAvailable: Credits(micros: entryAvailable),
            recomputedReserved: Credits(micros: entryReserved)
        )
    }

    private func append(kind: String, userId: String, amount: Credits, note: String?) async throws -> Credits {
        guard !userId.isEmpty else { throw LedgerError(.invalidArgument, "\(kind) needs a user id") }
        let available = try await perform(kind) { client in
            try await client.firstRow(
                """
                WITH account AS (
                    INSERT INTO accounts (user_id, available) VALUES (\(userId), \(amount.micros))
                    ON CONFLICT (user_id) DO UPDATE
                    SET available = accounts.available + EXCLUDED.available, updated_at = now()
                    RETURNING available
                ), entry AS (
                    INSERT INTO ledger_entries (user_id, kind, available_delta, note)
                    VALUES (\(userId), \(kind), \(amount.micros), \(note))
                )
                SELECT available FROM account
                """
            ).decode(Int64.self)
        }
        return Credits(micros: available)
    }
}
