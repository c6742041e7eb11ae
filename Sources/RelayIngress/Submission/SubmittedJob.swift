import BullQueue
import RelayProviders

/// A request that became a job: where it is, and the stream of its results.
public struct SubmittedJob: Sendable {
    public let jobId: String
    public let queue: Queue
    public let request: LLMRequest
    /// Results in order, each once, ending with `done` or `error`.
    public let messages: JobMessages

    /// Collects the whole result: the text (or vectors) and the final message; throws the job's error.
    public func collect() async throws -> CollectedResult {
        var result = CollectedResult()
        for try await message in messages {
            switch message.kind {
            case .chunk: result.text += message.chunkText ?? ""
            case .embedding: result.embeddings += message.embeddings
            case .done: result.done = message
            case .error: throw message.error
            }
        }
        guard result.done != nil else { throw IngressError(.internal, "the job's stream ended without a result") }
        return result
    }
}

/// A job's whole result.
public struct CollectedResult: Sendable {
    public var text = ""
    public var embeddings: [[Double]] = []
    public var done: JobMessage?

    public var usage: TokenCounts { done?.usage ?? TokenCounts(prompt: 0, completion: 0, estimated: true) }
    public var finishReason: String? { done?.finishReason }
}
