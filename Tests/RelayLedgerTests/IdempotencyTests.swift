import RelayLedger
import Testing

@Suite("Billing once")
struct IdempotencyTests {
    @Test("retries and duplicate deliveries of reserve and settle bill once")
    func duplicatesBillOnce() async throws {
        let user = TestLedger.user()
        let job = TestLedger.job()
        try await TestLedger.withLedger { ledger in
            try await ledger.grant(userId: user, amount: Credits(10))
            let reservations = try await withThrowingTaskGroup(of: Reservation.self) { group in
                for _ in 0..<10 {
                    group.addTask { try await ledger.reserve(userId: user, jobId: job, amount: Credits(4)) }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(reservations.filter { $0.outcome == .reserved }.count == 1)
            #expect(reservations.filter { $0.outcome == .duplicate }.count == 9)
            let settlements = try await withThrowingTaskGroup(of: Settlement.self) { group in
                for attempt in 0..<10 {
                    // A retried job may report different usage each time: the first settle wins.
                    let usage = TestLedger.usage(user: user, job: job, credits: 2_000_000 + Int64(attempt))
                    group.addTask { try await ledger.settle(usage) }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            let settled = settlements.filter { $0.outcome == .settled }
            #expect(settled.count == 1)
            #expect(settlements.filter { $0.outcome == .duplicate }.count == 9)
            #expect(Set(settlements.map(\.charged)).count == 1)
            #expect(try await ledger.refund(jobId: job, userId: user).outcome == .settled)
            #expect(try await ledger.reserve(userId: user, jobId: job, amount: Credits(4)).outcome == .closed)
            let balance = try await ledger.balance(userId: user)
            #expect(balance.available == Credits(10) - settled[0].charged)
            #expect(balance.reserved == .zero)
            #expect(balance.isConsistent)
            let report = try await ledger.usage(userId: user, by: .user)
            #expect(report.rows.first?.requests == 1)
            #expect(report.totalCredits == settled[0].charged)
        }
    }

    @Test("a settle after a refund charges nothing, and refunds repeat harmlessly")
    func refundThenSettle() async throws {
        let user = TestLedger.user()
        let job = TestLedger.job()
        try await TestLedger.withLedger { ledger in
            try await ledger.grant(userId: user, amount: Credits(5))
            _ = try await ledger.reserve(userId: user, jobId: job, amount: Credits(2))
            #expect(try await ledger.refund(jobId: job, userId: user).outcome == .refunded)
            #expect(try await ledger.refund(jobId: job, userId: user).outcome == .duplicate)
            let late = try await ledger.settle(TestLedger.usage(user: user, job: job, credits: 1_000_000))
            #expect(late.outcome == .refunded)
            #expect(late.charged == .zero)
            let balance = try await ledger.balance(userId: user)
            #expect(balance.available == Credits(5))
            #expect(balance.isConsistent)
            let report = try await ledger.usage(userId: user, by: .model)
            #expect(report.rows.first?.failed == 1)
            #expect(report.totalCredits == .zero)
        }
    }
}
