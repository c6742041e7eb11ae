import RelayLedger
import Testing

@Suite("Migrations")
struct MigrationTests {
    @Test("running the migrations again applies nothing and changes nothing")
    func idempotent() async throws {
        try await TestLedger.withLedger { ledger in
            #expect(try await ledger.migrate(directory: TestLedger.migrationsDirectory) == [])
            #expect(try await ledger.migrate(directory: TestLedger.migrationsDirectory) == [])
            let prices = try await ledger.prices()
            #expect(prices.contains { $0.provider == "mock" && $0.model == "mock-1" })
        }
    }

    @Test("concurrent migrators wait for each other and apply nothing twice")
    func concurrent() async throws {
        try await TestLedger.withLedger { ledger in
            try await withThrowingTaskGroup(of: [String].self) { group in
                for _ in 0..<4 {
                    group.addTask { try await ledger.migrate(directory: TestLedger.migrationsDirectory) }
                }
                for try await applied in group { #expect(applied == []) }
            }
        }
    }

    @Test("a missing directory is a clear error")
    func missingDirectory() async throws {
        try await TestLedger.withLedger { ledger in
            let error = await #expect(throws: LedgerError.self) {
                try await ledger.migrate(directory: "/nonexistent/migrations")
            }
            #expect(error?.code == .migrationFailed)
        }
    }
}
