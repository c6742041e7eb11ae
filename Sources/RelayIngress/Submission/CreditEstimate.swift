import RelayLedger
import RelayProviders
import RelayWorkers

/// What a request may cost at most, reserved before it is enqueued: its prompt (one token per four UTF-8 bytes)
/// and its `maxTokens` (or ``defaultCompletionTokens``) at the dearest price among the providers that may serve it.
enum CreditEstimate {
    static let defaultCompletionTokens = 1024

    static func reserve(for request: LLMRequest, chain: [String], configuration: WorkersConfiguration) -> Credits {
        let promptTokens = Double((request.promptCharacters + 3) / 4)
        let completionTokens = request.kind == .embedding ? 0 : Double(request.maxTokens ?? defaultCompletionTokens)
        let prices = chain.compactMap { configuration.providers[$0]?.models[request.model] }
        let input = prices.map(\.inputPricePer1K).max() ?? 0
        let output = prices.map(\.outputPricePer1K).max() ?? 0
        let credits = (promptTokens * input + completionTokens * output) / 1000
        return Credits(micros: Int64((credits * Double(Credits.scale)).rounded(.up)))
    }
}

extension LLMRequest {
    /// UTF-8 bytes of everything the provider reads.
    var promptCharacters: Int {
        switch kind {
        case .chat: return (messages ?? []).reduce(0) { $0 + $1.content.utf8.count }
        case .completion: return prompt?.utf8.count ?? 0
        case .embedding: return (input ?? []).reduce(0) { $0 + $1.utf8.count }
        }
    }
}
