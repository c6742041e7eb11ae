import ArgumentParser
import BullQueue
import RelayLedger
import RelayRedis
import RelayWorkers

/// One `relay dlq drain|retry` run: claims dead letters in batches, settles each, prints one summary line.
/// Claims make concurrent runs take disjoint jobs; a claim whose run died is taken over after its lease.
struct DeadLetterRun {
    let options: DlqOptions
    let database: DatabaseOptions
    let action: DlqDrain.Action
    let dryRun: Bool
    let jobIds: [String]
    static let batch = 100

    func run() async throws {
        let finishedBefore = options.finishedBefore
        let age = options.olderThan.map { " older than \($0)" } ?? ""
        let verb = ["retry": "retried", "archive": "archived", "delete": "deleted"][action.rawValue]!
        if dryRun {
            let count = try await options.withQueue { _, queue in
                if !jobIds.isEmpty { return try await countFailed(queue, jobIds) }
                return min(options.limit, try await queue.deadLetterCounts(finishedBefore: finishedBefore).failed)
            }
            print("dlq \(options.pool): would have \(verb) \(count) dead letters\(age) (dry run)")
            return
        }
        let done: Int
        if action == .archive {
            done = try await database.withLedger { ledger in try await process(finishedBefore, ledger: ledger) }
        } else {
            done = try await process(finishedBefore, ledger: nil)
        }
        print("dlq \(options.pool): \(verb) \(done) dead letters\(age)")
    }

    private func countFailed(_ queue: Queue, _ ids: [String]) async throws -> Int {
        var count = 0
        for id in ids where try await queue.redis.send("ZSCORE", queue.keys.failed, id).string != nil { count += 1 }
        return count
    }

    private func process(_ finishedBefore: Int, ledger: Ledger?) async throws -> Int {
        try await options.withQueue { _, queue in
            var done = 0
            while done < options.limit {
                let claimed = try await queue.claimDeadLetters(
                    finishedBefore: finishedBefore, limit: min(Self.batch, options.limit - done),
                    jobIds: jobIds
                )
                if claimed.isEmpty { break }
                for (index, id) in claimed.enumerated() {
                    do {
                        if try await settle(id, queue: queue, ledger: ledger) { done += 1 }
                    } catch {
                        for rest in claimed[index...] { _ = try? await queue.settleDeadLetter(jobId: rest, .release) }
                        throw error
                    }
                }
                if !jobIds.isEmpty { break }
            }
            return done
        }
    }

    private func settle(_ id: String, queue: Queue, ledger: Ledger?) async throws -> Bool {
        switch action {
        case .retry: return try await queue.settleDeadLetter(jobId: id, .retry)
        case .delete: return try await queue.settleDeadLetter(jobId: id, .delete)
        case .archive:
            let fields = try await queue.jobFields(id)
            if !fields.isEmpty, let ledger {
                try await ledger.archive(Self.letter(queue: queue.name, id: id, fields: fields))
            }
            return try await queue.settleDeadLetter(jobId: id, .delete)
        }
    }

    static func letter(queue: String, id: String, fields: [String: String]) -> DeadLetter {
        let data = fields["data"] ?? "{}"
        let user = fields["gid"] ?? (try? JSONValue(json: data))?["userId"]?.stringValue
        let hash = JSONValue.object(fields.mapValues(JSONValue.string)).json
        return DeadLetter(
            queue: queue, jobId: id, name: fields["name"] ?? "", userId: user, dataJSON: data,
            optionsJSON: fields["opts"] ?? "{}", failedReason: fields["failedReason"],
            stacktraceJSON: fields["stacktrace"] ?? "[]", attemptsMade: Int(fields["atm"] ?? "") ?? 0,
            attemptsStarted: Int(fields["ats"] ?? "") ?? 0, timestamp: Int(fields["timestamp"] ?? "") ?? 0,
            processedOn: Int(fields["processedOn"] ?? ""), finishedOn: Int(fields["finishedOn"] ?? "") ?? 0,
            hashJSON: hash
        )
    }
}
