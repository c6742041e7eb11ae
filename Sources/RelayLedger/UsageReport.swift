import PostgresNIO
import Foundation

/// Usage grouped by user, model, provider or day, from the usage logs.
public struct UsageReport: Sendable, Hashable {
    public enum Grouping: String, Sendable, Hashable, CaseIterable {
        case user, model, provider, day
    }

    public struct Row: Sendable, Hashable {
        /// The user id, `provider/model`, the provider, or the UTC day (`2026-11-23`).
        public let key: String
        public let requests: Int64
        public let failed: Int64
        public let promptTokens: Int64
        public let completionTokens: Int64
        public let credits: Credits
        public let averageLatencyMilliseconds: Int64?
        public let fallbacks: Int64
    }

    public let grouping: Grouping
    public let rows: [Row]

    public var totalCredits: Credits { rows.reduce(.zero) { $0 + $1.credits } }
}

extension Ledger {
    /// Sums the usage logs since `since` (all when `nil`), for one user or all, grouped by `grouping`.
    public func usage(userId: String? = nil, by grouping: UsageReport.Grouping, since: Date? = nil) async throws
        -> UsageReport
    {
        let key: String
        switch grouping {
        case .user: key = "user_id"
        case .model: key = "provider || '/' || model"
        case .provider: key = "provider"
        case .day: key = "to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')"
        }
        let rows = try await perform("usage") { client in
            var rows: [UsageReport.Row] = []
            let result = try await client.query(
                """
                SELECT \(unescaped: key) AS key, count(*)::BIGINT,
                       count(*) FILTER (WHERE status <> 'completed')::BIGINT,
                       coalesce(sum(prompt_tokens), 0)::BIGINT, coalesce(sum(completion_tokens), 0)::BIGINT,
                       coalesce(sum(credits), 0)::BIGINT, avg(latency_ms)::BIGINT,
                       count(*) FILTER (WHERE fallback_used)::BIGINT
                FROM usage_logs
                WHERE (\(userId)::TEXT IS NULL OR user_id = \(userId))
                  AND (\(since)::TIMESTAMPTZ IS NULL OR created_at >= \(since))
                GROUP BY 1 ORDER BY 1
                """
            )
            for try await (key, requests, failed, prompt, completion, credits, latency, fallbacks) in result.decode(
                (String, Int64, Int64, Int64, Int64, Int64, Int64?, Int64).self
            ) {
                rows.append(
                    UsageReport.Row(
                        key: key, requests: requests, failed: failed, promptTokens: prompt,
                        completionTokens: completion, credits: Credits(micros: credits),
                        averageLatencyMilliseconds: latency, fallbacks: fallbacks
                    )
                )
            }
            return rows
        }
        return UsageReport(grouping: grouping, rows: rows)
    }
}
