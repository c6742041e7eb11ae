import Foundation
import PostgresNIO

extension Ledger {
    /// Writes a dead letter to `dead_letters`; false when it was already archived (same queue, job and finish time).
    @discardableResult
    public func archive(_ letter: DeadLetter) async throws -> Bool {
        let data = Self.jsonText(letter.dataJSON), options = Self.jsonText(letter.optionsJSON)
        let stacktrace = Self.jsonText(letter.stacktraceJSON)
        let created = Double(letter.timestamp) / 1000, failed = Double(letter.finishedOn) / 1000
        let processed = letter.processedOn.map { Double($0) / 1000 }
        return try await perform("archive dead letter") { client in
            let rows = try await client.query(
                """
                INSERT INTO dead_letters (queue, job_id, name, user_id, data, options, failed_reason, stacktrace,
                    attempts_made, attempts_started, created_at, processed_at, finished_on, failed_at, job_hash)
                VALUES (\(letter.queue), \(letter.jobId), \(letter.name), \(letter.userId), \(data)::jsonb,
                    \(options)::jsonb, \(letter.failedReason), \(stacktrace)::jsonb, \(letter.attemptsMade),
                    \(letter.attemptsStarted), to_timestamp(\(created)), to_timestamp(\(processed)),
                    \(letter.finishedOn), to_timestamp(\(failed)), \(letter.hashJSON)::jsonb)
                ON CONFLICT (queue, job_id, finished_on) DO NOTHING
                RETURNING id
                """
            ).collect()
            return !rows.isEmpty
        }
    }

    /// An archived dead letter (the newest archive of that job), nil when none.
    public func archivedDeadLetter(queue: String, jobId: String) async throws -> DeadLetter? {
        try await perform("read dead letter") { client in
            let rows = try await client.query(
                """
                SELECT name, user_id, data::text, options::text, failed_reason, stacktrace::text, attempts_made,
                    attempts_started, (extract(epoch FROM created_at) * 1000)::BIGINT,
                    (extract(epoch FROM processed_at) * 1000)::BIGINT, finished_on, job_hash::text
                FROM dead_letters WHERE queue = \(queue) AND job_id = \(jobId) ORDER BY id DESC LIMIT 1
                """
            ).collect()
            guard let row = rows.first else { return nil }
            let (name, user, data, options, reason, stack, made, started, created, processed, finished, hash) =
                try row.decode((String, String?, String?, String?, String?, String?, Int, Int, Int64, Int64?, Int64, String).self)
            return DeadLetter(
                queue: queue, jobId: jobId, name: name, userId: user, dataJSON: data ?? "null",
                optionsJSON: options ?? "null", failedReason: reason, stacktraceJSON: stack ?? "null",
                attemptsMade: made, attemptsStarted: started, timestamp: Int(created), processedOn: processed.map(Int.init),
                finishedOn: Int(finished), hashJSON: hash
            )
        }
    }

    /// Valid JSON text as it is, anything else as a JSON string.
    static func jsonText(_ text: String) -> String {
        if let data = text.data(using: .utf8), (try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])) != nil {
            return text
        }
        let quoted = try? JSONSerialization.data(withJSONObject: [text], options: [])
        return quoted.flatMap { String(data: $0, encoding: .utf8) }.map { String($0.dropFirst().dropLast()) } ?? "null"
    }
}
