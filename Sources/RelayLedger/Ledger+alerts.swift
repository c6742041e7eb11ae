import PostgresNIO
import Metrics

extension Ledger {
    /// Adds a rule for the user (adding the same rule twice keeps one).
    @discardableResult
    public func addAlertRule(userId: String, kind: AlertRule.Kind, threshold: Credits) async throws -> AlertRule {
        guard !userId.isEmpty else { throw LedgerError(.invalidArgument, "an alert rule needs a user id") }
        let id = try await perform("add alert rule") { client in
            try await client.firstRow(
                """
                INSERT INTO alert_rules (user_id, kind, threshold) VALUES (\(userId), \(kind.rawValue), \(threshold.micros))
                ON CONFLICT (user_id, kind, threshold) DO UPDATE SET threshold = EXCLUDED.threshold
                RETURNING id
                """
            ).decode(Int64.self)
        }
        return AlertRule(id: id, userId: userId, kind: kind, threshold: threshold)
    }

    /// The user's rules.
    public func alertRules(userId: String) async throws -> [AlertRule] {
        try await perform("list alert rules") { client in
            var rules: [AlertRule] = []
            let rows = try await client.query(
                "SELECT id, kind, threshold FROM alert_rules WHERE user_id = \(userId) ORDER BY id"
            )
            for try await (id, kind, threshold) in rows.decode((Int64, String, Int64).self) {
                guard let kind = AlertRule.Kind(rawValue: kind) else { continue }
                rules.append(AlertRule(id: id, userId: userId, kind: kind, threshold: Credits(micros: threshold)))
            }
            return rules
        }
    }

    /// Records the events the user's rules raise now and announces each: a log line, the
    /// `relay_ledger_alerts_total` counter and the webhook. Failures are logged, never thrown: alerts never fail
    /// a settle.
    @discardableResult
    public func evaluateAlerts(userId: String) async -> [AlertEvent] {
        let events: [AlertEvent]
        do {
            events = try await perform("evaluate alerts") { client in
                var events: [AlertEvent] = []
                let rows = try await client.query(
                    """
                    SELECT r_event_id, r_rule_id, r_kind, r_threshold, r_observed
                    FROM ledger_evaluate_alerts(\(userId))
                    """
                )
                for try await (id, rule, kind, threshold, observed) in rows.decode(
                    (Int64, Int64, String, Int64, Int64).self
                ) {
                    guard let kind = AlertRule.Kind(rawValue: kind) else { continue }
                    events.append(
                        AlertEvent(
                            id: id, ruleId: rule, userId: userId, kind: kind,
                            threshold: Credits(micros: threshold), observed: Credits(micros: observed)
                        )
                    )
                }
                return events
            }
        } catch {
            logger.warning("alert rules not evaluated", metadata: ["user": "\(userId)", "error": "\(error)"])
            return []
        }
        for event in events {
            logger.warning(
                "alert: \(event.kind.rawValue)",
                metadata: [
                    "user": "\(event.userId)", "rule": "\(event.ruleId)",
                    "threshold": "\(event.threshold)", "observed": "\(event.observed)",
                ]
            )
            Counter(label: "relay_ledger_alerts_total", dimensions: [("kind", event.kind.rawValue)]).increment()
            alerts.enqueue(event)
        }
        return events
    }
}
