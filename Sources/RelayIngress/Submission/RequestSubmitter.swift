import BullQueue
import Foundation
import Logging
import RelayJSON
import RelayLedger
import RelayProviders
import RelayRedis
import RelayWorkers

/// Turns client requests into jobs: checks the model's route, the rate limits and credits, listens for the job's
/// messages on the process's reply channel, then enqueues it on the pool that runs its kind. The ingress never
/// calls a provider.
public struct RequestSubmitter: Sendable {
    public let configuration: WorkersConfiguration
    public let redis: RedisClient
    public let ledger: Ledger?
    /// Per-user requests and tokens per minute; nil for none.
    public let limiter: RateLimiter?
    let queues: [String: Queue]
    let replies: ReplyChannel
    let logger: Logger
    /// How long a client's request id stays resumable.
    static let resumeRetention = 3600

    public init(
        configuration: WorkersConfiguration, redis: RedisClient, ledger: Ledger?, limiter: RateLimiter? = nil,
        prefix: String = "bull", logger: Logger = Logger(label: "relay.ingress")
    ) throws {
        self.configuration = configuration
        self.redis = redis
        self.ledger = ledger
        self.limiter = limiter
        var queues: [String: Queue] = [:]
        for pool in configuration.pools { queues[pool.name] = try Queue(name: pool.queue, prefix: prefix, redis: redis) }
        self.queues = queues
        self.replies = ReplyChannel(redis: redis, retention: Self.resumeRetention)
        self.logger = logger
    }

    /// Subscribes to the process's reply channel, loads the queues' scripts and moves any earlier version's group
    /// layout (``Queue/prepare()``), so the first requests after an upgrade do not depend on a worker having
    /// started first. Failures are logged, not thrown.
    public func prepare() async {
        do {
            try await replies.hold()
        } catch {
            logger.warning("could not subscribe to the reply channel", metadata: ["error": "\(error)"])
        }
        for queue in queues.values {
            do {
                try await queue.prepare()
            } catch {
                logger.warning("could not prepare a queue", metadata: ["queue": "\(queue.name)", "error": "\(error)"])
            }
        }
    }

    /// The routed models a client may ask for.
    public var models: [String] { configuration.routes.keys.sorted() }

    /// Submits a request for `identity`; `clientId` (the WebSocket request id) makes it resumable.
    ///
    /// Without a ledger the rate limits are checked in the script call that adds the job, so a request costs the
    /// ingress one Redis round trip; with one they are checked first, so a refused request never reaches Postgres.
    public func submit(
        _ request: LLMRequest, provider: String? = nil, identity: Identity, clientId: String? = nil
    ) async throws -> SubmittedJob {
        try identity.requireSubmit()
        guard let chain = configuration.chain(for: request.model, kind: request.kind), !chain.isEmpty else {
            throw IngressError(.modelNotFound, "the model '\(request.model)' does not exist or you do not have access to it")
        }
        let contextWindow = chain.compactMap { configuration.providers[$0]?.models[request.model]?.contextWindow }.max() ?? .max
        let promptTokens = (request.promptCharacters + 3) / 4
        guard promptTokens <= contextWindow else {
            throw IngressError(
                .invalidRequest,
                "this model's context window is \(contextWindow) tokens; the request has about \(promptTokens)"
            )
        }
        guard let pool = configuration.pool(for: request.kind), let queue = queues[pool.name] else {
            throw IngressError(.invalidRequest, "no worker pool runs \(request.kind.rawValue) requests")
        }
        let jobId = JobIdentifier.next()
        let stream = JobStream(redis: redis, queue: pool.queue, jobId: jobId, replyTo: replies.name)
        var preludes: [AddPrelude] = []
        if let limiter {
            let completion = request.kind == .embedding ? 0 : request.maxTokens ?? CreditEstimate.defaultCompletionTokens
            if ledger == nil {
                preludes.append(limiter.prelude(userId: identity.userId, tokens: promptTokens + completion))
            } else {
                try await Self.admit(limiter, userId: identity.userId, tokens: promptTokens + completion)
            }
        }
        let amount = try await reserve(request, chain: chain, userId: identity.userId, jobId: jobId)
        do {
            let subscription = try await replies.listen(to: stream, heartbeat: ResultFollower.quietCheck)
            if let clientId {
                preludes.append(replies.recording(Self.requestKey(user: identity.userId, clientId: clientId), record: "\(pool.name)\n\(jobId)"))
            }
            let options = JobOptions(
                jobId: jobId, priority: pool.priority > 0 ? pool.priority : nil, attempts: pool.attempts,
                backoff: pool.backoff, removeOnComplete: .newest(10_000), removeOnFail: .newest(50_000),
                timeout: pool.timeout, group: identity.userId
            )
            let payload = LLMJobPayload(userId: identity.userId, request: request, provider: provider, replyTo: replies.name)
            let outcome: AddOutcome
            do {
                outcome = try await queue.add(request.kind.rawValue, data: payload.json, options: options, after: preludes)
            } catch {
                subscription.unsubscribe()
                throw error
            }
            if case .refused(let reply) = outcome {
                subscription.unsubscribe()
                throw RateLimiter.refusal(reply) ?? IngressError(.internal, "the request was refused")
            }
            let follower = ResultFollower(stream: stream, queue: queue, jobId: jobId, replies: replies)
            return SubmittedJob(jobId: jobId, queue: queue, request: request, messages: follower.follow(after: 0, subscription: subscription))
        } catch {
            if let ledger, amount.micros > 0 {
                _ = try? await ledger.refund(jobId: jobId, userId: identity.userId, status: "rejected")
            }
            if let error = error as? IngressError { throw error }
            logger.warning("could not enqueue a request", metadata: ["error": "\(error)"])
            throw IngressError(.unavailable, "the request could not be queued right now; try again shortly")
        }
    }

    private static func admit(_ limiter: RateLimiter, userId: String, tokens: Int) async throws {
        do {
            try await limiter.admit(userId: userId, tokens: tokens)
        } catch let error as IngressError {
            throw error
        } catch {
            throw IngressError(.unavailable, "rate limits cannot be checked right now; try again shortly")
        }
    }

    /// Reserves the job's estimated cost when there is a ledger; returns it.
    private func reserve(_ request: LLMRequest, chain: [String], userId: String, jobId: String) async throws -> Credits {
        let amount = CreditEstimate.reserve(for: request, chain: chain, configuration: configuration)
        guard let ledger, amount.micros > 0 else { return amount }
        do {
            _ = try await ledger.reserve(userId: userId, jobId: jobId, amount: amount)
        } catch let error as LedgerError where error.code == .insufficientCredits {
            throw IngressError(.insufficientCredits, "your credit balance is too low for this request")
        } catch {
            throw IngressError(.unavailable, "credits cannot be checked right now; try again shortly")
        }
        return amount
    }

    /// Follows a request of `identity` again, after the sequence number `after`; nil when it has no such request.
    public func resume(clientId: String, after: Int, identity: Identity) async throws -> SubmittedJob? {
        guard let (queue, jobId) = try await locate(clientId: clientId, identity: identity) else { return nil }
        let stream = JobStream(redis: redis, queue: queue.name, jobId: jobId)
        let follower = ResultFollower(stream: stream, queue: queue, jobId: jobId, replies: replies)
        let request = LLMRequest(kind: .chat, model: "")
        return SubmittedJob(jobId: jobId, queue: queue, request: request, messages: follower.follow(after: after, subscription: nil))
    }

    /// Cancels a request of `identity` wherever it runs; false when it has no such request.
    public func cancel(clientId: String, identity: Identity) async throws -> Bool {
        guard let (queue, jobId) = try await locate(clientId: clientId, identity: identity) else { return false }
        try await cancel(jobId: jobId, queue: queue, userId: identity.userId)
        return true
    }

    /// Cancels a job: one not started fails at once (the ingress then writes its last message and refunds it);
    /// a running one is stopped by the worker holding it, which does both.
    public func cancel(jobId: String, queue: Queue, userId: String) async throws {
        let outcome = try await queue.cancel(jobId: jobId, reason: "CANCELLED: cancelled by the client")
        guard outcome == .failedBeforeStart else { return }
        // Most often this process follows the job; another one finds the message in the log.
        let stream = JobStream(redis: redis, queue: queue.name, jobId: jobId, replyTo: replies.name)
        try await stream.publish([
            "seq": 1, "type": "error", "error": ["code": "CANCELLED", "message": "the request was cancelled"],
        ])
        if let ledger { _ = try? await ledger.refund(jobId: jobId, userId: userId, status: "cancelled") }
    }

    private func locate(clientId: String, identity: Identity) async throws -> (Queue, String)? {
        let value = try await redis.send("GET", Self.requestKey(user: identity.userId, clientId: clientId)).string
        guard let parts = value?.split(separator: "\n"), parts.count == 2, let queue = queues[String(parts[0])] else {
            return nil
        }
        return (queue, String(parts[1]))
    }

    static func requestKey(user: String, clientId: String) -> String {
        "relay:requests:\(user):\(clientId)"
    }
}
