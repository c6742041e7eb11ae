import Foundation
import NIOCore
import NIOPosix
import RelayLedger
import Testing

@Suite("Postgres unreachable")
struct SpoolTests {
    /// A loopback port nothing listens on.
    static func closedPort() async throws -> Int {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0).get()
        let port = channel.localAddress?.port ?? 1
        try await channel.close()
        return port
    }

    @Test("reserve fails with LEDGER_UNAVAILABLE; settles and refunds are spooled and replayed when Postgres returns")
    func spoolReplays() async throws {
        let user = TestLedger.user()
        let (settled, refunded, logged) = (TestLedger.job(), TestLedger.job(), TestLedger.job())
        let spool = TestLedger.spoolDirectory()
        try await TestLedger.withLedger { ledger in
            try await ledger.grant(userId: user, amount: Credits(10))
            for job in [settled, refunded, logged] {
                _ = try await ledger.reserve(userId: user, jobId: job, amount: Credits(2))
            }
        }

        let port = try await Self.closedPort()
        try await TestLedger.withLedger(url: "postgres://relay@127.0.0.1:\(port)/relay") { configuration in
            configuration.spoolDirectory = spool
            configuration.operationTimeout = .seconds(1)
        } _: { down in
            let error = await #expect(throws: LedgerError.self) {
                try await down.reserve(userId: user, jobId: TestLedger.job(), amount: Credits(1))
            }
            #expect(error?.code == .ledgerUnavailable)
            #expect(error?.code.description == "LEDGER_UNAVAILABLE")
            let usage = TestLedger.usage(user: user, job: settled, credits: 1_000_000)
            #expect(try await down.settle(usage).outcome == .spooled)
            #expect(try await down.settle(usage).outcome == .spooled)
            #expect(try await down.refund(jobId: refunded, userId: user).outcome == .spooled)
            try await down.recordUsage(TestLedger.usage(user: user, job: logged, credits: 500_000))
            let stillDown = await #expect(throws: LedgerError.self) { try await down.drainSpool() }
            #expect(stillDown?.code == .ledgerUnavailable)
        }
        #expect(FileManager.default.fileExists(atPath: spool + "/pending.jsonl"))

        try await TestLedger.withLedger { configuration in
            configuration.spoolDirectory = spool
        } _: { ledger in
            let report = try await ledger.drainSpool()
            #expect(report.replayed == 4)
            #expect(report.remaining == 0)
            #expect(try await ledger.drainSpool().replayed == 0)
            let reconciled = try await ledger.reconcile(olderThan: .zero, userId: user)
            #expect(reconciled.settled == [logged])
            let balance = try await ledger.balance(userId: user)
            #expect(balance.available == Credits(micros: 10_000_000 - 1_000_000 - 500_000))
            #expect(balance.reserved == .zero)
            #expect(balance.isConsistent)
            #expect(try await ledger.usage(userId: user, by: .user).totalCredits == Credits(micros: 1_500_000))
        }
    }
}
