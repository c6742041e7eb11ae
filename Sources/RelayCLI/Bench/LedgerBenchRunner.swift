import Foundation
import RelayLedger
import Synchronization

/// The runs of `relay bench ledger`.
struct LedgerBenchRunner {
    let ledger: Ledger
    let runId: String

    struct Throughput {
        let rate: Double
        let p50: Double
        let p99: Double
        let consistent: Bool
    }

    struct Exactness {
        let faults: [(String, Int)]
        let reported: Credits
        let audit: LedgerAudit
        let exact: Bool
    }

    func throughput(requests: Int, concurrency: Int, users: Int) async throws -> Throughput {
        let accounts = (0..<users).map { "bench-\(runId)-t\($0)" }
        for account in accounts { try await ledger.grant(userId: account, amount: Credits(1_000_000)) }
        let next = Ticket()
        let clock = ContinuousClock()
        let started = clock.now
        let latencies = try await withThrowingTaskGroup(of: [Double].self) { group in
            for _ in 0..<concurrency {
                group.addTask {
                    var latencies: [Double] = []
                    while true {
                        let index = next.take()
                        guard index < requests else { return latencies }
                        let user = accounts[index % accounts.count]
                        let job = "bench-\(runId)-t-\(index)"
                        let begin = clock.now
                        _ = try await ledger.reserve(userId: user, jobId: job, amount: Credits(1))
                        let usage = Usage(
                            userId: user, jobId: job, provider: "bench", model: "bench-1",
                            promptTokens: 100, completionTokens: 50,
                            credits: Credits(micros: Int64.random(in: 1...1_000_000)), latencyMilliseconds: 1
                        )
                        let settlement = try await ledger.settle(usage)
                        guard settlement.outcome == .settled else { throw BenchFailure("settle was \(settlement.outcome)") }
                        latencies.append((clock.now - begin).milliseconds)
                    }
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        let elapsed = (clock.now - started).milliseconds / 1000
        let audit = try await ledger.audit(userIds: accounts)
        let sorted = latencies.sorted()
        return Throughput(
            rate: Double(requests) / elapsed,
            p50: sorted[sorted.count / 2],
            p99: sorted[min(sorted.count - 1, sorted.count * 99 / 100)],
            consistent: audit.isConsistent && audit.settleEntries == requests && audit.reserved == .zero
        )
    }

    /// Every job draws a fault; what the "provider" reported is summed for the jobs that should be billed.
    func exactness(jobs: Int, concurrency: Int, users: Int) async throws -> Exactness {
        let accounts = (0..<users).map { "bench-\(runId)-x\($0)" }
        for account in accounts { try await ledger.grant(userId: account, amount: Credits(1_000_000)) }
        let plans = (0..<jobs).map { index in
            JobPlan(
                user: accounts[index % accounts.count],
                job: "bench-\(runId)-x-\(index)",
                fault: Fault.allCases[index % Fault.allCases.count],
                credits: Int64.random(in: 0...3_000_000)
            )
        }
        let next = Ticket()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<concurrency {
                group.addTask {
                    while true {
                        let index = next.take()
                        guard index < plans.count else { return }
                        try await run(plans[index])
                    }
                }
            }
            try await group.waitForAll()
        }
        for account in accounts {
            _ = try await ledger.reconcile(olderThan: .zero, userId: account)
        }
        let reported = plans.filter(\.fault.isBilled).reduce(Credits.zero) { $0 + Credits(micros: $1.credits) }
        let audit = try await ledger.audit(userIds: accounts)
        let faults = Fault.allCases.map { fault in (fault.rawValue, plans.filter { $0.fault == fault }.count) }
        let billed = plans.filter(\.fault.isBilled).count
        let exact = audit.isConsistent && audit.charged == reported && audit.usageCredits == reported
            && audit.reserved == .zero && audit.settleEntries == billed && audit.usageLogs == jobs
        return Exactness(faults: faults, reported: reported, audit: audit, exact: exact)
    }

    private func run(_ plan: JobPlan) async throws {
        let usage = Usage(
            userId: plan.user, jobId: plan.job, provider: "bench", model: "bench-1",
            promptTokens: 100, completionTokens: 50, credits: Credits(micros: plan.credits), latencyMilliseconds: 1
        )
        let reserve = { _ = try await ledger.reserve(userId: plan.user, jobId: plan.job, amount: Credits(3)) }
        switch plan.fault {
        case .none:
            try await reserve()
            _ = try await ledger.settle(usage)
        case .duplicateSettles:
            try await reserve()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<3 { group.addTask { _ = try await ledger.settle(usage) } }
                try await group.waitForAll()
            }
        case .retried:
            try await reserve()
            try await reserve()
            _ = try await ledger.settle(usage)
            _ = try await ledger.settle(usage)
        case .refunded:
            try await reserve()
            _ = try await ledger.refund(jobId: plan.job, userId: plan.user, status: "failed")
            _ = try await ledger.refund(jobId: plan.job, userId: plan.user, status: "failed")
        case .killedAfterProvider:
            try await reserve()
            try await ledger.recordUsage(usage)
        case .killedBeforeProvider:
            try await reserve()
        }
    }

    private struct JobPlan: Sendable {
        let user: String
        let job: String
        let fault: Fault
        let credits: Int64
    }

    private enum Fault: String, CaseIterable, Sendable {
        case none = "clean (reserve, settle)"
        case duplicateSettles = "3 concurrent duplicate settles"
        case retried = "retried (reserve twice, settle twice)"
        case refunded = "failed (refund twice)"
        case killedAfterProvider = "worker killed after logging usage"
        case killedBeforeProvider = "worker killed before the provider"

        var isBilled: Bool {
            switch self {
            case .none, .duplicateSettles, .retried, .killedAfterProvider: true
            case .refunded, .killedBeforeProvider: false
            }
        }
    }
}

/// Hands out 0, 1, 2, … to concurrent tasks.
final class Ticket: Sendable {
    private let counter = Atomic<Int>(0)

    func take() -> Int { counter.add(1, ordering: .relaxed).oldValue }
}

struct BenchFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

extension Duration {
    fileprivate var milliseconds: Double {
        Double(components.seconds) * 1000 + Double(components.attoseconds) / 1e15
    }
}
