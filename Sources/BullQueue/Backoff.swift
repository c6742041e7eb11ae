/// How long to wait before retrying a failed attempt, as BullMQ decides it.
public struct Backoff: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        case fixed
        case exponential
        /// A strategy named by a BullMQ client that Relay does not know; Relay retries at once.
        case custom(String)
    }

    public var kind: Kind
    /// Milliseconds.
    public var delay: Int
    /// 0…1: the delay is drawn uniformly from `[delay × (1 − jitter), delay]`.
    public var jitter: Double

    public init(kind: Kind, delay: Int, jitter: Double = 0) {
        self.kind = kind
        self.delay = delay
        self.jitter = jitter
    }

    init(json: JSONValue) throws {
        if let delay = json.intValue {
            self.init(kind: .fixed, delay: delay)
            return
        }
        guard case .object(let object) = json, let type = object["type"]?.stringValue else {
            throw QueueError(.invalidOptions, "'backoff' is a number of ms or {\"type\", \"delay\"}")
        }
        let delay = object["delay"]?.intValue ?? 0
        var jitter = 0.0
        switch object["jitter"] {
        case .int(let value)?: jitter = Double(value)
        case .double(let value)?: jitter = value
        default: break
        }
        guard delay >= 0, (0...1).contains(jitter) else {
            throw QueueError(.invalidOptions, "'backoff.delay' must not be negative and 'jitter' is between 0 and 1")
        }
        switch type {
        case "fixed": self.init(kind: .fixed, delay: delay, jitter: jitter)
        case "exponential": self.init(kind: .exponential, delay: delay, jitter: jitter)
        default: self.init(kind: .custom(type), delay: delay, jitter: jitter)
        }
    }

    var json: JSONValue {
        let type: String
        switch kind {
        case .fixed: type = "fixed"
        case .exponential: type = "exponential"
        case .custom(let name): type = name
        }
        var object: [String: JSONValue] = ["type": .string(type), "delay": .int(delay)]
        if jitter > 0 { object["jitter"] = .double(jitter) }
        return .object(object)
    }

    /// The wait in ms before attempt `attemptsMade + 1`: fixed = delay, exponential = round(2^(n−1) × delay).
    public func delay(afterAttempts attemptsMade: Int) -> Int {
        let base: Double
        switch kind {
        case .fixed: base = Double(delay)
        case .exponential: base = (pow2(attemptsMade - 1) * Double(delay)).rounded()
        case .custom: return 0
        }
        guard jitter > 0 else { return Int(base) }
        return Int(Double.random(in: (base * (1 - jitter))...base).rounded())
    }

    private func pow2(_ exponent: Int) -> Double {
        Double(sign: .plus, exponent: max(0, min(exponent, 60)), significand: 1)
    }
}
