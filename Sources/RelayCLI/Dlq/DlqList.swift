import ArgumentParser
import BullQueue
import Foundation

struct DlqList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "Print the pool's dead letters, oldest first: id, failure time, attempts, user, reason."
    )
    @OptionGroup var options: DlqOptions

    func run() async throws {
        let finishedBefore = options.finishedBefore
        let jobs = try await options.withQueue { _, queue in
            try await queue.deadLetters(finishedBefore: finishedBefore, limit: options.limit)
        }
        for job in jobs {
            let failedAt = Date(timeIntervalSince1970: Double(job.finishedOn ?? 0) / 1000).ISO8601Format()
            let user = job.options.group ?? job.data["userId"]?.stringValue ?? "-"
            let reason = (job.failedReason ?? "").replacingOccurrences(of: "\n", with: " ")
            print("\(job.id)\t\(failedAt)\tattempts \(job.attemptsMade)\t\(user)\t\(reason)")
        }
    }
}
