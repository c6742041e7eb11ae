import RelayLedger
import Testing

@Suite("Reservations")
struct ReservationTests {
    @Test("100 concurrent reservations on one account never overdraw it")
    func concurrentReservationsNeverOverdraw() async throws {
        let user = TestLedger.user()
        try await TestLedger.withLedger { ledger in
            try await ledger.grant(userId: user, amount: Credits(50))
            let results = await withTaskGroup(of: Result<Reservation, LedgerError>.self) { group in
                for _ in 0..<100 {
                    group.addTask {
                        do {
                            return .success(try await ledger.reserve(userId: user, jobId: TestLedger.job(), amount: Credits(1)))
                        } catch let error as LedgerError {
                            return .failure(error)
                        } catch {
                            return .failure(LedgerError(.databaseError, "\(error)"))
                        }
                    }
                }
                return await group.reduce(into: []) { $0.append($1) }
            }
            let reserved = results.filter { if case .success(let r) = $0 { r.outcome == .reserved } else { false } }
            let refused = results.filter { if case .failure(let e) = $0 { e.code == .insufficientCredits } else { false } }
            #expect(reserved.count == 50)
            #expect(refused.count == 50)
            let balance = try await ledger.balance(userId: user)
            #expect(balance.available == .zero)
            #expect(balance.reserved == Credits(50))
            #expect(balance.isConsistent)
        }
    }

    @Test("a reservation the balance cannot cover fails with INSUFFICIENT_CREDITS")
    func insufficient() async throws {
        let user = TestLedger.user()
        try await TestLedger.withLedger { ledger in
            try await ledger.grant(userId: user, amount: Credits(1))
            let error = await #expect(throws: LedgerError.self) {
                try await ledger.reserve(userId: user, jobId: TestLedger.job(), amount: Credits(2))
            }
            #expect(error?.code == .insufficientCredits)
            #expect(error?.code.description == "INSUFFICIENT_CREDITS")
            let unknown = await #expect(throws: LedgerError.self) {
                try await ledger.reserve(userId: TestLedger.user(), jobId: TestLedger.job(), amount: Credits(1))
            }
            #expect(unknown?.code == .insufficientCredits)
        }
    }

    @Test("settle releases the reservation and charges the actual usage; refund releases it all")
    func settleAndRefund() async throws {
        let user = TestLedger.user()
        try await TestLedger.withLedger { ledger in
            try await ledger.grant(userId: user, amount: Credits(10), note: "welcome")
            let (first, second) = (TestLedger.job(), TestLedger.job())
            _ = try await ledger.reserve(userId: user, jobId: first, amount: Credits(3))
            _ = try await ledger.reserve(userId: user, jobId: second, amount: Credits(3))
            let settled = try await ledger.settle(TestLedger.usage(user: user, job: first, credits: 1_250_000))
            #expect(settled.outcome == .settled)
            #expect(settled.charged == Credits(micros: 1_250_000))
            let refunded = try await ledger.refund(jobId: second, userId: user, status: "cancelled")
            #expect(refunded.outcome == .refunded)
            #expect(refunded.refunded == Credits(3))
            let balance = try await ledger.balance(userId: user)
            #expect(balance.available == Credits(micros: 8_750_000))
            #expect(balance.reserved == .zero)
            #expect(balance.isConsistent)
            try await ledger.adjust(userId: user, amount: Credits(-1))
            #expect(try await ledger.balance(userId: user).available == Credits(micros: 7_750_000))
        }
    }

    @Test("usage without credits is priced from the model's price per million tokens")
    func priced() async throws {
        let user = TestLedger.user()
        try await TestLedger.withLedger { ledger in
            try await ledger.grant(userId: user, amount: Credits(10))
            let job = TestLedger.job()
            _ = try await ledger.reserve(userId: user, jobId: job, amount: Credits(1))
            // mock-1: 1 credit per million prompt tokens, 2 per million completion tokens.
            let settled = try await ledger.settle(TestLedger.usage(user: user, job: job, prompt: 1000, completion: 501))
            #expect(settled.charged == Credits(micros: 2002))
            let unpriced = Usage(userId: user, jobId: TestLedger.job(), provider: "nobody", model: "nothing")
            let error = await #expect(throws: LedgerError.self) { try await ledger.settle(unpriced) }
            #expect(error?.code == .unknownPrice)
        }
    }
}
