import Foundation
@testable import RelayIngress
import RelayLedger
import RelayProviders
import RelayRedis
import RelayWorkers
import Testing

/// Credits through the whole path: reserved by the ingress, settled by the worker at the price book's price.
@Suite("Billing", .enabled(if: ProcessInfo.processInfo.environment["DATABASE_URL"] != nil))
struct BillingTests {
    static let migrations = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("migrations").path

    @Test("a completed request is billed once at the admin's price, which wins over workers.yml; refused without credits")
    func billedAtAdminPrice() async throws {
        let ledger = Ledger(configuration: try LedgerConfiguration(url: ProcessInfo.processInfo.environment["DATABASE_URL"]!))
        let running = Task { try await ledger.run() }
        defer { running.cancel() }
        _ = try await ledger.migrate(directory: Self.migrations)
        let redis = try RedisClient(url: ProcessInfo.processInfo.environment["REDIS_URL"] ?? "redis://127.0.0.1:6379")
        let configuration = try SubmissionTests.configuration(queue: "billing-\(UUID().uuidString.prefix(8))")
        let submitter = try RequestSubmitter(configuration: configuration, redis: redis, ledger: ledger)
        let pools = try WorkerPools(configuration: configuration, redis: redis, httpClient: PoolClient.shared, ledger: ledger)
        // 10 credits per million prompt tokens, 1,000,000 per million completion tokens: 1 credit a completion token.
        try await ledger.setPrice(ModelPrice(provider: "sim", model: "m", promptPerMillion: Credits(10), completionPerMillion: Credits(1_000_000)))
        try await pools.handler.prices.refresh(from: ledger)
        let worker = Task { try await pools.run() }
        defer {
            pools.shutdown()
            worker.cancel()
        }
        let user = "bill-\(UUID().uuidString.prefix(8))"
        let identity = Identity(userId: user, permissions: ["services:use"])
        await #expect {
            _ = try await submitter.submit(SubmissionTests.chat("hello", maxTokens: 5), identity: identity)
        } throws: { ($0 as? IngressError)?.code == .insufficientCredits }
        _ = try await ledger.grant(userId: user, amount: Credits(100))
        let result = try await submitter.submit(SubmissionTests.chat("hello", maxTokens: 5), identity: identity).collect()
        #expect(result.usage.completion == 5)
        var balance = try await ledger.balance(userId: user)
        for _ in 0..<100 where balance.reserved != .zero {
            try await Task.sleep(for: .milliseconds(20))
            balance = try await ledger.balance(userId: user)
        }
        // 5 completion tokens at 1 credit each, plus 2 prompt tokens at 10 per million (rounded up to a micro-credit).
        #expect(balance.reserved == .zero)
        #expect(balance.available == Credits(100) - Credits(5) - Credits(micros: 20))
        try await ledger.setPrice(ModelPrice(provider: "sim", model: "m", promptPerMillion: .zero, completionPerMillion: .zero))
        await redis.close()
    }
}
