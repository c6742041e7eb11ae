import Foundation
import PostgresNIO

extension Ledger {
    /// Moves `amount` from the user's available balance to a reservation keyed by `jobId`.
    ///
    /// Concurrent reservations never overdraw: the account row is updated only while it can cover the amount.
    /// Reserving again for the same job changes nothing and answers `duplicate` (or `closed` once it was settled
    /// or refunded).
    /// - Throws: ``LedgerError`` `INSUFFICIENT_CREDITS` when the balance cannot cover it, `LEDGER_UNAVAILABLE`
    ///   when Postgres cannot be reached (reservations are never spooled).
    public func reserve(userId: String, jobId: String, amount: Credits) async throws -> Reservation {
        guard !userId.isEmpty, !jobId.isEmpty, amount.micros >= 0 else {
            throw LedgerError(.invalidArgument, "reserve needs a user id, a job id and an amount of at least 0")
        }
        let (outcome, reserved, available) = try await perform("reserve") { client in
            try await client.firstRow(ReserveStatement(userId: userId, jobId: jobId, amount: amount.micros))
        }
        guard outcome != "insufficient", let result = Reservation.Outcome(rawValue: outcome) else {
            throw LedgerError(
                .insufficientCredits,
                "the balance of \(Credits(micros: available)) credits cannot cover \(amount) credits"
            )
        }
        return Reservation(
            outcome: result,
            jobId: jobId,
            amount: Credits(micros: reserved),
            available: Credits(micros: available)
        )
    }

    /// Writes the job's usage log now, before settling, so that the reconciler can settle the job by it should
    /// this process die before ``settle(_:)``. The first log of a job wins; returns the credits it bills.
    @discardableResult
    public func recordUsage(_ usage: Usage) async throws -> Credits {
        try usage.validate()
        do {
            return try await perform("record usage") { client in
                let row = try await client.firstRow("SELECT ledger_record_usage(\(bind: usage))")
                return Credits(micros: try row.decode(Int64.self))
            }
        } catch let error as LedgerError where error.isUnavailable {
            try spoolOrThrow(SpoolRecord(usage: usage), error)
            return usage.credits ?? .zero
        }
    }

    /// Closes the job's reservation by its actual usage: releases the reservation, charges the usage (once, however
    /// often this is called), writes the usage log and evaluates the user's alert rules.
    ///
    /// When Postgres is unreachable the settle is spooled and the outcome is `spooled`.
    public func settle(_ usage: Usage) async throws -> Settlement {
        try usage.validate()
        let result: (String, String, Int64, Int64?, Bool)
        do {
            result = try await perform("settle") { client in
                try await client.firstRow(SettleStatement(usage: usage))
            }
        } catch let error as LedgerError where error.isUnavailable {
            try spoolOrThrow(SpoolRecord(settle: usage), error)
            return Settlement(outcome: .spooled, jobId: usage.jobId, charged: usage.credits ?? .zero, available: nil)
        }
        let (outcome, user, charged, available, hasRules) = result
        if hasRules, outcome == "settled" {
            await evaluateAlerts(userId: user)
        }
        return Settlement(
            outcome: Settlement.Outcome(rawValue: outcome) ?? .duplicate,
            jobId: usage.jobId,
            charged: Credits(micros: charged),
            available: available.map(Credits.init(micros:))
        )
    }

    /// Releases the job's whole reservation (the job failed or was cancelled) and logs the request with `status`
    /// and no credits. After a settle it changes nothing. Spooled when Postgres is unreachable.
    /// - Parameter usage: what is known of the request (provider, model, tokens) for its usage log.
    public func refund(jobId: String, userId: String, status: String = "failed", usage: Usage? = nil) async throws
        -> Refund
    {
        guard !jobId.isEmpty, !userId.isEmpty, !status.isEmpty else {
            throw LedgerError(.invalidArgument, "refund needs a job id, a user id and a status")
        }
        let request = RefundRequest(jobId: jobId, userId: userId, status: status, usage: usage)
        do {
            return try await perform("refund") { client in
                let (outcome, refunded) = try await client.firstRow(
                    "SELECT r_outcome, r_refunded FROM ledger_refund(\(bind: request))"
                ).decode((String, Int64).self)
                return Refund(
                    outcome: Refund.Outcome(rawValue: outcome) ?? .duplicate,
                    jobId: jobId,
                    refunded: Credits(micros: refunded)
                )
            }
        } catch let error as LedgerError where error.isUnavailable {
            try spoolOrThrow(SpoolRecord(refund: request), error)
            return Refund(outcome: .spooled, jobId: jobId, refunded: .zero)
        }
    }

    private func spoolOrThrow(_ record: SpoolRecord, _ error: LedgerError) throws {
        do {
            try spool.append([record])
            logger.warning(
                "Postgres unreachable: write spooled",
                metadata: ["operation": "\(record.operation)", "job": "\(record.jobId)", "error": "\(error.detail)"]
            )
        } catch {
            throw LedgerError(.spoolFailed, "Postgres is unreachable and the spool could not be written: \(error)")
        }
    }
}

/// A refund's request, as the spool keeps it.
struct RefundRequest: Sendable, Hashable, Codable {
    var jobId: String
    var userId: String
    var status: String
    var usage: Usage?
}

extension PostgresQuery.StringInterpolation {
    /// The 14 arguments of `ledger_record_usage` and `ledger_settle`.
    mutating func appendInterpolation(bind usage: Usage) {
        appendInterpolation(usage.jobId)
        appendLiteral(", ")
        appendInterpolation(usage.userId)
        appendLiteral(", ")
        appendInterpolation(usage.requestKind)
        appendLiteral(", ")
        appendInterpolation(usage.provider)
        appendLiteral(", ")
        appendInterpolation(usage.model)
        appendLiteral(", ")
        appendInterpolation(usage.promptTokens)
        appendLiteral(", ")
        appendInterpolation(usage.completionTokens)
        appendLiteral(", ")
        appendInterpolation(usage.tokensExact)
        appendLiteral(", ")
        appendInterpolation(usage.credits?.micros)
        appendLiteral(", ")
        appendInterpolation(usage.latencyMilliseconds)
        appendLiteral(", ")
        appendInterpolation(usage.status)
        appendLiteral(", ")
        appendInterpolation(usage.fallbackUsed)
        appendLiteral(", ")
        appendInterpolation(usage.startedAt)
        appendLiteral(", ")
        appendInterpolation(usage.finishedAt)
    }

    /// The 13 arguments of `ledger_refund`.
    mutating func appendInterpolation(bind refund: RefundRequest) {
        appendInterpolation(refund.jobId)
        appendLiteral(", ")
        appendInterpolation(refund.userId)
        appendLiteral(", ")
        appendInterpolation(refund.status)
        appendLiteral(", ")
        appendInterpolation(refund.usage?.requestKind)
        appendLiteral(", ")
        appendInterpolation(refund.usage?.provider)
        appendLiteral(", ")
        appendInterpolation(refund.usage?.model)
        appendLiteral(", ")
        appendInterpolation(refund.usage?.promptTokens)
        appendLiteral(", ")
        appendInterpolation(refund.usage?.completionTokens)
        appendLiteral(", ")
        appendInterpolation(refund.usage?.tokensExact)
        appendLiteral(", ")
        appendInterpolation(refund.usage?.latencyMilliseconds)
        appendLiteral(", ")
        appendInterpolation(refund.usage?.fallbackUsed)
        appendLiteral(", ")
        appendInterpolation(refund.usage?.startedAt)
        appendLiteral(", ")
        appendInterpolation(refund.usage?.finishedAt)
    }
}
