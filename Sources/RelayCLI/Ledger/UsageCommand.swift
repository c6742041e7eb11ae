import ArgumentParser
import Foundation
import RelayLedger

/// `relay usage`: the usage logs summed by user, model, provider or day.
struct UsageCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "usage",
        abstract: "Sum requests, tokens and credits from the usage logs."
    )

    @OptionGroup var database: DatabaseOptions

    @Option(help: "Only this user.")
    var user: String?

    @Option(help: "Group by user, model, provider or day.")
    var by: UsageReport.Grouping = .user

    @Option(help: "Only requests since this UTC date or time (2026-11-01 or 2026-11-01T12:00:00Z).")
    var since: String?

    func validate() throws {
        if let since, parseDate(since) == nil { throw ValidationError("--since must look like 2026-11-01") }
        if let user { try validateUser(user) }
    }

    func run() async throws {
        let report = try await database.withLedger {
            try await $0.usage(userId: user, by: by, since: since.flatMap(parseDate))
        }
        let header = [by.rawValue, "requests", "failed", "prompt", "completion", "credits", "avg ms", "fallbacks"]
        var table = [header]
        for row in report.rows {
            table.append([
                row.key, "\(row.requests)", "\(row.failed)", "\(row.promptTokens)", "\(row.completionTokens)",
                "\(row.credits)", row.averageLatencyMilliseconds.map { "\($0)" } ?? "-", "\(row.fallbacks)",
            ])
        }
        printTable(table)
        print("total credits: \(report.totalCredits)")
    }
}

extension UsageReport.Grouping: ExpressibleByArgument {}

/// `2026-11-01` (UTC midnight) or an ISO 8601 time.
func parseDate(_ text: String) -> Date? {
    let day = DateFormatter()
    day.locale = Locale(identifier: "en_US_POSIX")
    day.timeZone = TimeZone(identifier: "UTC")
    day.dateFormat = "yyyy-MM-dd"
    if let date = day.date(from: text) { return date }
    return ISO8601DateFormatter().date(from: text)
}

/// Prints rows as left-aligned columns.
func printTable(_ rows: [[String]]) {
    guard let first = rows.first else { return }
    let widths = first.indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
    for row in rows {
        print(row.enumerated().map { $1.padding(toLength: widths[$0] + 2, withPad: " ", startingAt: 0) }.joined())
    }
}
