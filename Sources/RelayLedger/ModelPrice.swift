import PostgresNIO
/// What a model costs, in micro-credits per million tokens.
public struct ModelPrice: Sendable, Hashable {
    public let provider: String
    public let model: String
    public let promptPerMillion: Credits
    public let completionPerMillion: Credits
    /// Set by an admin (`true`) or shipped by a migration.
    public let isOverride: Bool

    public init(
        provider: String,
        model: String,
        promptPerMillion: Credits,
        completionPerMillion: Credits,
        isOverride: Bool = true
    ) {
        self.provider = provider
        self.model = model
        self.promptPerMillion = promptPerMillion
        self.completionPerMillion = completionPerMillion
        self.isOverride = isOverride
    }
}

extension Ledger {
    /// Sets a model's price (an admin's override: later migrations never overwrite it).
    public func setPrice(_ price: ModelPrice) async throws {
        guard !price.provider.isEmpty, !price.model.isEmpty, price.promptPerMillion.micros >= 0,
            price.completionPerMillion.micros >= 0
        else { throw LedgerError(.invalidArgument, "a price needs a provider, a model and non-negative amounts") }
        try await perform("set price") { client in
            try await client.run(
                """
                INSERT INTO model_prices (provider, model, prompt_per_million, completion_per_million, source)
                VALUES (\(price.provider), \(price.model), \(price.promptPerMillion.micros),
                        \(price.completionPerMillion.micros), 'admin')
                ON CONFLICT (provider, model) DO UPDATE
                SET prompt_per_million = EXCLUDED.prompt_per_million,
                    completion_per_million = EXCLUDED.completion_per_million, source = 'admin', updated_at = now()
                """
            )
        }
    }

    /// Every model's price.
    public func prices() async throws -> [ModelPrice] {
        try await perform("list prices") { client in
            var prices: [ModelPrice] = []
            let rows = try await client.query(
                """
                SELECT provider, model, prompt_per_million, completion_per_million, source = 'admin'
                FROM model_prices ORDER BY provider, model
                """
            )
            for try await (provider, model, prompt, completion, isOverride) in rows.decode(
                (String, String, Int64, Int64, Bool).self
            ) {
                prices.append(
                    ModelPrice(
                        provider: provider, model: model, promptPerMillion: Credits(micros: prompt),
                        completionPerMillion: Credits(micros: completion), isOverride: isOverride
                    )
                )
            }
            return prices
        }
    }
}
