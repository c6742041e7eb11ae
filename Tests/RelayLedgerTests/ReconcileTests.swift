import RelayLedger
import Testing

@Suite("Reconciler")
struct ReconcileTests {
    @Test("a reservation orphaned by a killed worker is closed by the reconciler and billed once")
    func orphanedReservations() async throws {
        let user = TestLedger.user()
        let (answered, unanswered, fresh) = (TestLedger.job(), TestLedger.job(), TestLedger.job())
        try await TestLedger.withLedger { ledger in
            try await ledger.grant(userId: user, amount: Credits(10))
            _ = try await ledger.reserve(userId: user, jobId: answered, amount: Credits(3))
            _ = try await ledger.reserve(userId: user, jobId: unanswered, amount: Credits(3))
            // The worker logged the provider's answer, then died before settling.
            let usage = TestLedger.usage(user: user, job: answered, credits: 1_500_000)
            #expect(try await ledger.recordUsage(usage) == Credits(micros: 1_500_000))
            try await Task.sleep(for: .milliseconds(2500))
            _ = try await ledger.reserve(userId: user, jobId: fresh, amount: Credits(1))

            let report = try await ledger.reconcile(olderThan: .milliseconds(2000), userId: user)
            #expect(report.settled == [answered])
            #expect(report.refunded == [unanswered])
            #expect(report.charged == Credits(micros: 1_500_000))
            let again = try await ledger.reconcile(olderThan: .milliseconds(2000), userId: user)
            #expect(again.settled.isEmpty && again.refunded.isEmpty)

            // The "dead" worker comes back and settles late: nothing is charged twice.
            #expect(try await ledger.settle(usage).outcome == .duplicate)
            #expect(try await ledger.settle(TestLedger.usage(user: user, job: unanswered)).outcome == .refunded)

            let balance = try await ledger.balance(userId: user)
            #expect(balance.available == Credits(micros: 10_000_000 - 1_500_000 - 1_000_000))
            #expect(balance.reserved == Credits(1))
            #expect(balance.isConsistent)
            let report2 = try await ledger.usage(userId: user, by: .user)
            #expect(report2.totalCredits == Credits(micros: 1_500_000))
        }
    }
}
