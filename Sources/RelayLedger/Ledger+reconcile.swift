import PostgresNIO
extension Ledger {
    /// What ``Ledger/reconcile(olderThan:userId:limit:)`` closed.
    public struct ReconcileReport: Sendable, Hashable {
        /// Open reservations that had a usage log: settled by it.
        public var settled: [String] = []
        /// Open reservations without a usage log: refunded (logged with status `abandoned`).
        public var refunded: [String] = []
        /// Reservations closed by someone else meanwhile.
        public var skipped = 0
        /// Credits charged by the settles.
        public var charged = Credits.zero
    }

    /// Closes reservations left open for longer than `olderThan` (a worker killed between the provider call and
    /// its settle, a lost refund).
    ///
    /// The rule, applied per job under the job's lock: a usage log exists (the provider answered and the worker
    /// logged it) → settle by the log; no usage log → refund. `olderThan` must exceed the longest job and the
    /// longest expected Postgres outage, or a spooled settle would find its job already refunded.
    /// - Parameter userId: only this user's reservations (all users' when `nil`).
    public func reconcile(olderThan: Duration, userId: String? = nil, limit: Int = 10_000) async throws
        -> ReconcileReport
    {
        guard olderThan >= .zero, limit > 0 else {
            throw LedgerError(.invalidArgument, "reconcile needs a non-negative age and a positive limit")
        }
        let seconds = Double(olderThan.components.seconds) + Double(olderThan.components.attoseconds) / 1e18
        let jobs = try await perform("find open reservations") { client in
            var jobs: [String] = []
            let rows = try await client.query(
                """
                SELECT e.job_id FROM ledger_entries e
                WHERE e.kind = 'reserve' AND e.created_at < now() - make_interval(secs => \(seconds))
                  AND (\(userId)::TEXT IS NULL OR e.user_id = \(userId))
                  AND NOT EXISTS (
                      SELECT 1 FROM ledger_entries c WHERE c.job_id = e.job_id AND c.kind IN ('settle', 'refund')
                  )
                ORDER BY e.created_at LIMIT \(limit)
                """
            )
            for try await job in rows.decode(String.self) { jobs.append(job) }
            return jobs
        }
        var report = ReconcileReport()
        for job in jobs {
            let (outcome, user, credits) = try await perform("reconcile") { client in
                try await client.firstRow(
                    "SELECT r_outcome, r_user, r_credits FROM ledger_reconcile_job(\(job))"
                ).decode((String, String, Int64).self)
            }
            switch outcome {
            case "settled":
                report.settled.append(job)
                report.charged = report.charged + Credits(micros: credits)
                await evaluateAlerts(userId: user)
            case "refunded":
                report.refunded.append(job)
            default:
                report.skipped += 1
            }
        }
        if !jobs.isEmpty {
            logger.info(
                "reconciled open reservations",
                metadata: ["settled": "\(report.settled.count)", "refunded": "\(report.refunded.count)"]
            )
        }
        return report
    }
}
