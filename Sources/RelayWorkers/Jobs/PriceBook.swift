import Logging
import RelayLedger
import Synchronization

/// What a job costs: the provider's price for the model from `workers.yml`, unless an admin set one in the ledger
/// (`relay prices set`, kept in `model_prices`), which the pools reread every ``refreshInterval``.
public final class PriceBook: Sendable {
    public static let refreshInterval: Duration = .seconds(30)
    let configuration: WorkersConfiguration
    private let overrides = Mutex<[String: ModelPrice]>([:])

    public init(configuration: WorkersConfiguration) {
        self.configuration = configuration
    }

    /// The credits for `prompt` and `completion` tokens of `model` served by `provider`.
    public func credits(provider: String, model: String, prompt: Int, completion: Int) -> Credits {
        if let price = overrides.withLock({ $0["\(provider)/\(model)"] }) {
            let micros = (Int64(prompt) * price.promptPerMillion.micros + Int64(completion) * price.completionPerMillion.micros)
            return Credits(micros: (micros + 999_999) / 1_000_000)
        }
        let info = configuration.providers[provider]?.models[model]
        let credits = (Double(prompt) * (info?.inputPricePer1K ?? 0) + Double(completion) * (info?.outputPricePer1K ?? 0)) / 1000
        return Credits(micros: Int64((credits * Double(Credits.scale)).rounded()))
    }

    /// Reads the admin's prices from the ledger.
    public func refresh(from ledger: Ledger) async throws {
        let prices = try await ledger.prices().filter(\.isOverride)
        overrides.withLock { current in
            current = Dictionary(prices.map { ("\($0.provider)/\($0.model)", $0) }, uniquingKeysWith: { _, last in last })
        }
    }

    /// Rereads the prices until cancelled.
    func refreshPeriodically(from ledger: Ledger, logger: Logger) async {
        while !Task.isCancelled {
            do {
                try await refresh(from: ledger)
            } catch {
                logger.debug("prices not refreshed", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: Self.refreshInterval)
        }
    }
}
