import Foundation
import RelayLedger
import Testing

@Suite("Alerts")
struct AlertTests {
    @Test("a settle that crosses a rule records one event a day and POSTs it to the webhook")
    func webhook() async throws {
        let server = try await WebhookServer.start()
        let user = TestLedger.user()
        try await TestLedger.withLedger { configuration in
            configuration.alertWebhookURL = server.url
        } _: { ledger in
            try await ledger.grant(userId: user, amount: Credits(10))
            try await ledger.addAlertRule(userId: user, kind: .balanceBelow, threshold: Credits(5))
            try await ledger.addAlertRule(userId: user, kind: .dailySpendAbove, threshold: Credits(100))
            #expect(try await ledger.alertRules(userId: user).count == 2)

            let first = TestLedger.job()
            _ = try await ledger.reserve(userId: user, jobId: first, amount: Credits(3))
            _ = try await ledger.settle(TestLedger.usage(user: user, job: first, credits: 3_000_000))
            #expect(await ledger.evaluateAlerts(userId: user).isEmpty)

            let second = TestLedger.job()
            _ = try await ledger.reserve(userId: user, jobId: second, amount: Credits(3))
            _ = try await ledger.settle(TestLedger.usage(user: user, job: second, credits: 3_000_000))

            var received: String?
            for await body in server.bodies {
                received = body
                break
            }
            let json = try #require(received.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] })
            #expect(json["user_id"] as? String == user)
            #expect(json["kind"] as? String == "balance_below")
            #expect(json["observed"] as? String == "4")
            #expect(json["threshold"] as? String == "5")

            // Once a day per rule: another settle below the threshold raises nothing new.
            let third = TestLedger.job()
            _ = try await ledger.reserve(userId: user, jobId: third, amount: Credits(1))
            _ = try await ledger.settle(TestLedger.usage(user: user, job: third, credits: 1_000_000))
            #expect(await ledger.evaluateAlerts(userId: user).isEmpty)
        }
        try await server.stop()
    }

    @Test("spending more than the daily budget raises a daily_spend_above event")
    func dailySpend() async throws {
        let user = TestLedger.user()
        try await TestLedger.withLedger { ledger in
            try await ledger.grant(userId: user, amount: Credits(100))
            try await ledger.addAlertRule(userId: user, kind: .dailySpendAbove, threshold: Credits(2))
            for credits in [1_500_000, 1_000_000] as [Int64] {
                let job = TestLedger.job()
                _ = try await ledger.reserve(userId: user, jobId: job, amount: Credits(2))
                _ = try await ledger.settle(TestLedger.usage(user: user, job: job, credits: credits))
            }
            // The settle above already raised and recorded today's event.
            #expect(await ledger.evaluateAlerts(userId: user).isEmpty)
        }
    }
}
