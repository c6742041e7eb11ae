import Foundation
import RelayLedger
import Testing

/// The test database (`DATABASE_URL`, set by bin/test), migrated once per test run, and ledgers running on it.
enum TestLedger {
    static let databaseURL = ProcessInfo.processInfo.environment["DATABASE_URL"]

    static let migrationsDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("migrations").path

    /// Runs the migrations once for the whole test process, however many suites ask.
    static let migrated = Task<Void, any Error> {
        let applied: [String] = try await run(migrateFirst: false) { ledger in
            try await ledger.migrate(directory: migrationsDirectory)
        }
        print("migrations applied: \(applied)")
    }

    /// A fresh user id, so that tests can run in parallel on one database.
    static func user() -> String { "test-" + UUID().uuidString }

    static func job() -> String { "job-" + UUID().uuidString }

    /// A fresh, empty spool directory.
    static func spoolDirectory() -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("relay-spool-\(UUID().uuidString)").path
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// Runs `body` with a running ledger on the test database (or on `url`).
    static func withLedger<T: Sendable>(
        url: String? = nil,
        configure: (inout LedgerConfiguration) -> Void = { _ in },
        _ body: (Ledger) async throws -> T
    ) async throws -> T {
        try await run(url: url, migrateFirst: true, configure: configure, body)
    }

    private static func run<T: Sendable>(
        url: String? = nil,
        migrateFirst: Bool,
        configure: (inout LedgerConfiguration) -> Void = { _ in },
        _ body: (Ledger) async throws -> T
    ) async throws -> T {
        if migrateFirst { try await migrated.value }
        guard let databaseURL = url ?? databaseURL else {
            throw LedgerError(.invalidArgument, "DATABASE_URL is not set (run the tests with bin/test)")
        }
        var configuration = try LedgerConfiguration(url: databaseURL, maxConnections: 10)
        configuration.spoolDirectory = spoolDirectory()
        configuration.spoolDrainInterval = nil
        configure(&configuration)
        let ledger = Ledger(configuration: configuration)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await ledger.run() }
            defer { group.cancelAll() }
            return try await body(ledger)
        }
    }

    static func usage(
        user: String,
        job: String,
        credits: Int64? = nil,
        prompt: Int64 = 100,
        completion: Int64 = 50
    ) -> Usage {
        Usage(
            userId: user, jobId: job, provider: "mock", model: "mock-1", promptTokens: prompt,
            completionTokens: completion, credits: credits.map { Credits(micros: $0) }, latencyMilliseconds: 120
        )
    }
}
