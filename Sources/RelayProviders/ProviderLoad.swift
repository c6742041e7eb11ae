import Synchronization

/// What this process sees of each provider: requests in flight and a moving average of the time to the first
/// event. `auto` routing orders providers by it; the worker pools publish it for `GET /api/providers`.
public final class ProviderLoad: Sendable {
    /// One provider's figures.
    public struct Figures: Sendable, Hashable {
        public var inFlight: Int
        /// Exponentially weighted mean time to the first event, ms; nil before the first success.
        public var latencyMs: Double?

        public init(inFlight: Int, latencyMs: Double? = nil) {
            self.inFlight = inFlight
            self.latencyMs = latencyMs
        }
    }

    private let state = Mutex<[String: Figures]>([:])
    /// The weight of the newest sample in the moving average.
    static let smoothing = 0.2

    public init() {}

    func started(_ provider: String) {
        state.withLock { $0[provider, default: Figures(inFlight: 0)].inFlight += 1 }
    }

    func finished(_ provider: String, firstEventAfter milliseconds: Double?) {
        state.withLock { figures in
            var entry = figures[provider, default: Figures(inFlight: 1)]
            entry.inFlight = max(0, entry.inFlight - 1)
            if let milliseconds {
                entry.latencyMs = entry.latencyMs.map { $0 + Self.smoothing * (milliseconds - $0) } ?? milliseconds
            }
            figures[provider] = entry
        }
    }

    public func figures(_ provider: String) -> Figures {
        state.withLock { $0[provider] ?? Figures(inFlight: 0) }
    }

    public var all: [String: Figures] { state.withLock { $0 } }

    /// The providers ordered for `auto`: fewest in flight first, weighted by latency (a provider without a
    /// latency yet counts as the mean of the others, so new providers get traffic); ties keep the given order.
    public func balanced(_ providers: [String]) -> [String] {
        let figures = state.withLock { current in providers.map { current[$0] ?? Figures(inFlight: 0) } }
        let known = figures.compactMap(\.latencyMs)
        let typical = known.isEmpty ? 1 : known.reduce(0, +) / Double(known.count)
        let scores = figures.map { Double($0.inFlight + 1) * max(0.01, $0.latencyMs ?? typical) }
        return providers.indices.sorted { scores[$0] == scores[$1] ? $0 < $1 : scores[$0] < scores[$1] }.map { providers[$0] }
    }
}
