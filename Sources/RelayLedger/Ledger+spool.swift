import PostgresNIO
extension Ledger {
    /// What ``Ledger/drainSpool()`` did.
    public struct DrainReport: Sendable, Hashable {
        /// Writes replayed against Postgres (duplicates of applied writes included: replay is idempotent).
        public var replayed = 0
        /// Writes still spooled because Postgres became unreachable again.
        public var remaining = 0
        /// Writes Postgres refused for good (moved to `dead.jsonl` in the spool directory).
        public var rejected = 0
    }

    /// Replays spooled settles, refunds and usage logs against Postgres. Safe to run from several processes and
    /// to repeat: every write is keyed by its job id.
    @discardableResult
    public func drainSpool() async throws -> DrainReport {
        var report = DrainReport()
        let files: [Spool.ClaimedFile]
        do {
            files = try spool.claim()
        } catch {
            throw LedgerError(.spoolFailed, "the spool could not be read: \(error)")
        }
        var unavailable: LedgerError?
        for file in files {
            var kept: [SpoolRecord] = []
            var dead: [SpoolRecord] = []
            for record in spool.records(of: file) {
                if unavailable != nil {
                    kept.append(record)
                    continue
                }
                do {
                    try await replay(record)
                    report.replayed += 1
                } catch let error as LedgerError where error.isUnavailable {
                    unavailable = error
                    kept.append(record)
                } catch {
                    logger.error("spooled write rejected", metadata: ["job": "\(record.jobId)", "error": "\(error)"])
                    dead.append(record)
                }
            }
            do {
                try spool.append(kept)
                try spool.append(dead, to: spool.deadLetterPath)
                spool.finish(file)
            } catch {
                spool.release(file)
                throw LedgerError(.spoolFailed, "the spool could not be rewritten: \(error)")
            }
            report.remaining += kept.count
            report.rejected += dead.count
        }
        if report.replayed > 0 || report.remaining > 0 {
            logger.info(
                "spool replayed",
                metadata: ["replayed": "\(report.replayed)", "remaining": "\(report.remaining)"]
            )
        }
        if let unavailable, report.replayed == 0 { throw unavailable }
        return report
    }

    private func replay(_ record: SpoolRecord) async throws {
        switch record.operation {
        case .settle:
            guard let usage = record.usage else { return }
            let settlement = try await settleWithoutSpool(usage)
            if settlement == "settled" {
                logger.info("spooled settle applied", metadata: ["job": "\(usage.jobId)"])
            }
        case .usage:
            guard let usage = record.usage else { return }
            try await perform("record usage") { client in
                try await client.run("SELECT ledger_record_usage(\(bind: usage))")
            }
        case .refund:
            guard let refund = record.refund else { return }
            try await perform("refund") { client in
                try await client.run("SELECT r_outcome FROM ledger_refund(\(bind: refund))")
            }
        }
    }

    private func settleWithoutSpool(_ usage: Usage) async throws -> String {
        let (outcome, user, hasRules) = try await perform("settle") { client in
            try await client.firstRow(
                "SELECT r_outcome, r_user, r_has_rules FROM ledger_settle(\(bind: usage))"
            ).decode((String, String, Bool).self)
        }
        if hasRules, outcome == "settled" { await evaluateAlerts(userId: user) }
        return outcome
    }
}
