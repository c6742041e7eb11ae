import BullQueue
import Foundation
import Logging
import RelayJSON
import RelayLedger
import RelayProviders
import RelayRedis
import Synchronization

/// Runs LLM jobs: routes each request along its provider chain and streams the results to the job's ``JobStream``.
///
/// Once a chunk went out, a failure is final (a retry would send the client a second, different text); before
/// that, the job's own attempts and backoff apply.
public struct LLMJobHandler: Sendable {
    public let configuration: WorkersConfiguration
    public let providers: [String: any LLMProvider]
    public let router: ProviderRouter
    public let redis: RedisClient
    /// Bills each job once: settled by its usage when it completes, refunded when it fails for good.
    public let ledger: Ledger?
    public let prices: PriceBook
    let logger: Logger

    public init(
        configuration: WorkersConfiguration, providers: [String: any LLMProvider], router: ProviderRouter,
        redis: RedisClient, ledger: Ledger? = nil, logger: Logger = Logger(label: "relay.workers")
    ) {
        self.configuration = configuration
        self.providers = providers
        self.router = router
        self.redis = redis
        self.ledger = ledger
        self.prices = PriceBook(configuration: configuration)
        self.logger = logger
    }

    /// The processor a pool's ``Worker`` runs.
    public func process(_ context: JobContext, queue: String, timeout: Int) async throws -> JSONValue {
        let payload: LLMJobPayload
        do {
            payload = try LLMJobPayload(json: JSONValue(json: context.job.dataJSON))
        } catch {
            throw UnrecoverableError("INVALID_REQUEST: the job's data is not an LLM request")
        }
        let stream = JobStream(redis: redis, queue: queue, jobId: context.job.id, replyTo: payload.replyTo)
        let writer = JobStreamWriter(stream: stream)
        let sequence = MessageSequence()
        let next = { @Sendable in sequence.next() }
        let chain = self.chain(for: payload)
        guard !chain.isEmpty else {
            try await stream.publish(["seq": .int(next()), "type": "error", "error": ["code": "INVALID_REQUEST", "message": .string("no provider serves model '\(payload.request.model)'")]])
            await refund(payload, jobId: context.job.id, status: "failed")
            throw UnrecoverableError("INVALID_REQUEST: no provider serves model '\(payload.request.model)'")
        }
        let deadline = ContinuousClock.now + .milliseconds(timeout)
        let startedAt = Date()
        do {
            let result = try await router.run(payload.request, chain: chain, deadline: deadline) { event in
                switch event {
                case .text(let text):
                    try await writer.send(["seq": .int(next()), "type": "chunk", "data": .string(text)])
                case .embeddings(let vectors):
                    try await writer.send(["seq": .int(next()), "type": "embedding", "data": .array(vectors.map { .array($0.map(JSONValue.double)) })])
                case .usage, .finish:
                    break
                }
            }
            let usage = Self.usageJSON(result.usage)
            try await writer.send([
                "seq": .int(next()), "type": "done", "usage": usage, "provider": .string(result.provider),
                "fallback": .bool(result.fallbackUsed), "finishReason": result.finishReason.map(JSONValue.string) ?? .null,
            ])
            try await writer.flush()
            await settle(payload, jobId: context.job.id, result: result, startedAt: startedAt)
            return [
                "text": .string(result.text), "usage": usage, "provider": .string(result.provider),
                "fallback": .bool(result.fallbackUsed), "userId": .string(payload.userId),
            ]
        } catch {
            let (code, message) = Self.describe(error)
            let final = sequence.current > 0 || context.job.attemptsMade + 1 >= context.job.attemptsAllowed
                || code == "CANCELLED" || code == "INVALID_REQUEST"
            if final {
                try? await writer.send(["seq": .int(next()), "type": "error", "error": ["code": .string(code), "message": .string(message)]])
                try? await writer.flush()
                await refund(payload, jobId: context.job.id, status: code == "CANCELLED" ? "cancelled" : "failed")
                throw UnrecoverableError("\(code): \(message)")
            }
            throw error
        }
    }

    /// Settles the job by the provider's usage at the provider's price for the model (``PriceBook``).
    private func settle(_ payload: LLMJobPayload, jobId: String, result: RouteResult, startedAt: Date) async {
        guard let ledger else { return }
        let credits = prices.credits(
            provider: result.provider, model: payload.request.model, prompt: result.usage.promptTokens,
            completion: result.usage.completionTokens
        )
        let finished = Date()
        let usage = Usage(
            userId: payload.userId, jobId: jobId, requestKind: payload.request.kind.rawValue, provider: result.provider,
            model: payload.request.model, promptTokens: Int64(result.usage.promptTokens),
            completionTokens: Int64(result.usage.completionTokens), tokensExact: !result.usage.estimated,
            credits: credits,
            latencyMilliseconds: Int32(clamping: Int(finished.timeIntervalSince(startedAt) * 1000)),
            fallbackUsed: result.fallbackUsed, startedAt: startedAt, finishedAt: finished
        )
        // Not part of the job's task: a cancelled job must still be billed (or refunded) now, not spooled.
        let settling = Task { try await ledger.settle(usage) }
        do {
            _ = try await settling.value
        } catch {
            logger.error("could not settle a job; the reconciler will", metadata: ["job": "\(jobId)", "error": "\(error)"])
        }
    }

    private func refund(_ payload: LLMJobPayload, jobId: String, status: String) async {
        guard let ledger else { return }
        let refunding = Task { try await ledger.refund(jobId: jobId, userId: payload.userId, status: status) }
        do {
            _ = try await refunding.value
        } catch {
            logger.error("could not refund a job; the reconciler will", metadata: ["job": "\(jobId)", "error": "\(error)"])
        }
    }

    private func chain(for payload: LLMJobPayload) -> [any LLMProvider] {
        var ids = configuration.chain(for: payload.request.model, kind: payload.request.kind) ?? []
        let preferred = payload.provider.map(Self.providerAlias)
        if let preferred, preferred != "auto" {
            ids = ids.filter { $0 == preferred } + ids.filter { $0 != preferred }
        } else if preferred == "auto" || payload.request.model == "auto" {
            // Balanced among the chain's providers; the router skips those whose circuit is open.
            ids = router.load.balanced(ids)
        }
        return ids.compactMap { providers[$0] }
    }

    /// The WebSocket protocol's provider names map to `workers.yml` ids: `claude` is the `anthropic` provider.
    static func providerAlias(_ name: String) -> String { name == "claude" ? "anthropic" : name }

    static func usageJSON(_ usage: TokenUsage) -> JSONValue {
        [
            "promptTokens": .int(usage.promptTokens), "completionTokens": .int(usage.completionTokens),
            "totalTokens": .int(usage.totalTokens), "estimated": .bool(usage.estimated),
        ]
    }

    /// The client-facing error code and message for a failure.
    static func describe(_ error: any Error) -> (String, String) {
        switch error {
        case let error as AllProvidersFailedError: return ("ALL_PROVIDERS_FAILED", error.description)
        case let error as ProviderError where error.code == .timeout: return ("TIMEOUT", error.description)
        case let error as ProviderError where error.code == .cancelled: return ("CANCELLED", "the request was cancelled")
        case let error as ProviderError where error.code == .invalidRequest: return ("INVALID_REQUEST", error.message)
        case let error as ProviderError: return ("PROVIDER_ERROR", error.description)
        case is CancellationError: return ("CANCELLED", "the request was cancelled")
        default: return ("INTERNAL", "the worker failed")
        }
    }
}

/// The sequence numbers of one job's messages, from 1.
final class MessageSequence: Sendable {
    private let value = Mutex(0)

    func next() -> Int { value.withLock { $0 += 1; return $0 } }
    var current: Int { value.withLock { $0 } }
}
