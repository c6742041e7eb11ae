/// A provider Relay can call.
///
/// ``stream(_:)`` throws ``ProviderError`` for failures before anything was generated (bad status, connection); the
/// returned sequence throws for failures after it began (``ProviderError/Code/streamBroken``). Cancelling the
/// consuming task aborts the upstream request.
public protocol LLMProvider: Sendable {
    /// The name `workers.yml` gives it.
    var id: String { get }
    func stream(_ request: LLMRequest) async throws -> AsyncThrowingStream<ProviderEvent, any Error>
}
