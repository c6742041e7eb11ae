/// A per-user budget rule, evaluated after each settle.
public struct AlertRule: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable, Codable, CaseIterable {
        /// The available balance fell below the threshold.
        case balanceBelow = "balance_below"
        /// The credits settled today (UTC) exceed the threshold.
        case dailySpendAbove = "daily_spend_above"
    }

    public let id: Int64
    public let userId: String
    public let kind: Kind
    public let threshold: Credits
}

/// An alert a rule raised: at most one per rule per UTC day.
public struct AlertEvent: Sendable, Hashable, Codable {
    public let id: Int64
    public let ruleId: Int64
    public let userId: String
    public let kind: AlertRule.Kind
    public let threshold: Credits
    /// The balance or the day's spend that crossed the threshold.
    public let observed: Credits
}
