import ArgumentParser
import RelayLedger

/// `relay migrate`: applies the missing SQL migrations.
struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Apply the numbered SQL files of migrations/ that the database has not seen, in order.",
        discussion: "Each file runs in its own transaction and is recorded in relay_schema_migrations; a second run is a no-op."
    )

    @OptionGroup var database: DatabaseOptions

    @Option(help: "The directory of numbered .sql files.")
    var dir: String = "migrations"

    func run() async throws {
        let applied = try await database.withLedger { try await $0.migrate(directory: dir) }
        if applied.isEmpty {
            print("up to date")
        } else {
            for file in applied { print("applied \(file)") }
        }
    }
}
