import ArgumentParser
import Foundation
import RelayLedger

/// `relay bench ledger`: settled requests per second, and exactness under injected faults.
struct LedgerBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ledger",
        abstract: "Reserve+settle throughput, and billing exactness over jobs with duplicate settles, retries, refunds and killed workers."
    )

    @OptionGroup var database: DatabaseOptions

    @Option(help: "Requests (reserve + settle each) in the throughput run.")
    var requests: Int = 20_000

    @Option(help: "Concurrent requests in flight.")
    var concurrency: Int = 32

    @Option(help: "Postgres connections in the ledger's pool.")
    var connections: Int = 8

    @Option(help: "Accounts the requests are spread over.")
    var users: Int = 100

    @Option(help: "Jobs in the exactness run.")
    var exactnessJobs: Int = 10_000

    func validate() throws {
        guard requests > 0, concurrency > 0, connections > 0, users > 0, exactnessJobs > 0 else {
            throw ValidationError("counts must be positive")
        }
    }

    func run() async throws {
        let runId = UUID().uuidString.prefix(8).lowercased()
        try await database.withLedger { configuration in
            configuration.maximumConnections = connections
            configuration.spoolDirectory = FileManager.default.temporaryDirectory
                .appendingPathComponent("relay-bench-spool-\(runId)").path
        } _: { ledger in
            let runner = LedgerBenchRunner(ledger: ledger, runId: String(runId))
            let throughput = try await runner.throughput(requests: requests, concurrency: concurrency, users: users)
            print("relay bench ledger: \(requests) requests, concurrency \(concurrency), \(connections) connections, \(users) accounts")
            print(String(format: "  throughput           %.0f settled requests/s (reserve + settle)", throughput.rate))
            print(String(format: "  latency p50 / p99    %.2f ms / %.2f ms per request", throughput.p50, throughput.p99))
            print("  balances consistent  \(throughput.consistent ? "yes" : "NO")")

            let exactness = try await runner.exactness(jobs: exactnessJobs, concurrency: concurrency, users: users)
            print("exactness: \(exactnessJobs) jobs with injected faults")
            for (label, count) in exactness.faults { print("  \(label.padding(toLength: 40, withPad: " ", startingAt: 0)) \(count)") }
            print("  providers reported   \(exactness.reported) credits")
            print("  settled (ledger)     \(exactness.audit.charged) credits in \(exactness.audit.settleEntries) settle entries")
            print("  usage logs           \(exactness.audit.usageCredits) credits in \(exactness.audit.usageLogs) logs")
            print("  refunds              \(exactness.audit.refundEntries)")
            print("  reserved left open   \(exactness.audit.reserved)")
            print("  exact                \(exactness.exact ? "yes" : "NO")")
            if !throughput.consistent || !exactness.exact { throw ExitCode(1) }
        }
    }
}
