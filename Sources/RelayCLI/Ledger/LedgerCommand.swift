import ArgumentParser
import RelayLedger

/// `relay ledger …`: maintenance of the credit ledger.
struct LedgerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ledger",
        abstract: "Maintain the credit ledger: close orphaned reservations, replay the spool.",
        subcommands: [LedgerReconcile.self, LedgerDrainSpool.self]
    )
}

struct LedgerReconcile: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reconcile",
        abstract: "Settle or refund reservations left open.",
        discussion: """
            An open reservation older than --older-than is settled by its usage log when the job has one (the \
            provider answered and the worker logged it before dying), and refunded otherwise. Choose an age longer \
            than the longest job and the longest expected Postgres outage.
            """
    )

    @OptionGroup var database: DatabaseOptions

    @Option(help: "Only reservations older than this (e.g. 30s, 15m, 2h, 1d).")
    var olderThan: DurationArgument = DurationArgument(duration: .seconds(900), text: "15m")

    @Option(help: "Only this user's reservations.")
    var user: String?

    @Option(help: "At most this many reservations per run.")
    var limit: Int = 10_000

    func validate() throws {
        guard limit > 0 else { throw ValidationError("--limit must be positive") }
        if let user { try validateUser(user) }
    }

    func run() async throws {
        let report = try await database.withLedger {
            try await $0.reconcile(olderThan: olderThan.duration, userId: user, limit: limit)
        }
        print(
            "settled \(report.settled.count) (charged \(report.charged)), refunded \(report.refunded.count), "
                + "skipped \(report.skipped)"
        )
    }
}

struct LedgerDrainSpool: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "drain-spool",
        abstract: "Replay the settles, refunds and usage logs spooled while Postgres was unreachable."
    )

    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        let report = try await database.withLedger { try await $0.drainSpool() }
        print("replayed \(report.replayed), still spooled \(report.remaining), rejected \(report.rejected)")
    }
}

/// A duration such as `500ms`, `30s`, `15m`, `2h` or `1d`.
struct DurationArgument: ExpressibleByArgument, Sendable {
    let duration: Duration
    let text: String

    init(duration: Duration, text: String) {
        self.duration = duration
        self.text = text
    }

    init?(argument: String) {
        let units: [(String, Int64)] = [("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000), ("d", 86_400_000)]
        for (unit, milliseconds) in units where argument.hasSuffix(unit) {
            let number = argument.dropLast(unit.count)
            guard let value = Int64(number), value >= 0, !number.hasPrefix("+"), value < 1_000_000_000 else {
                continue
            }
            self.init(duration: .milliseconds(value * milliseconds), text: argument)
            return
        }
        return nil
    }

    var defaultValueDescription: String { text }
}
