import Foundation
import Logging
import Metrics
import Synchronization

/// Runs a request along a chain of providers: retries with backoff on one, falls back to the next, skips providers
/// whose circuit is open, and enforces an overall deadline that also covers a streamed body.
///
/// A stream never mixes two providers' text: fallback happens only before the first text was handed on; a stream
/// that breaks after that fails with ``ProviderError/Code/streamBroken``.
public struct ProviderRouter: Sendable {
    public let circuits: any CircuitStateStore
    public let breaker: CircuitBreakerSettings
    public let retry: RetryPolicy
    /// In-flight counts and latencies of this process's calls.
    public let load: ProviderLoad
    let logger: Logger

    public init(
        circuits: any CircuitStateStore, breaker: CircuitBreakerSettings = .init(), retry: RetryPolicy = .init(),
        load: ProviderLoad = ProviderLoad(), logger: Logger = Logger(label: "relay.providers")
    ) {
        self.circuits = circuits
        self.breaker = breaker
        self.retry = retry
        self.load = load
        self.logger = logger
    }

    /// Runs `request`, handing every event to `onEvent` as it arrives.
    public func run(
        _ request: LLMRequest,
        chain: [any LLMProvider],
        deadline: ContinuousClock.Instant,
        onEvent: @escaping @Sendable (ProviderEvent) async throws -> Void
    ) async throws -> RouteResult {
        var errors: [ProviderError] = []
        var attempts = 0
        for (position, provider) in chain.enumerated() {
            var attempt = 0
            while true {
                attempt += 1
                attempts += 1
                let permit = try await circuits.acquire(provider.id, settings: breaker, now: Self.now())
                guard permit != .rejected else {
                    errors.append(ProviderError(.circuitOpen, provider: provider.id, message: "circuit open"))
                    break
                }
                let outcome = await attemptOnce(request, provider: provider, deadline: deadline, onEvent: onEvent)
                switch outcome {
                case .success(var result):
                    await record(provider.id, success: true, probe: permit == .probe)
                    result.fallbackUsed = position > 0
                    result.attempts = attempts
                    return result
                case .failure(let error, let emitted):
                    if error.countsAsProviderFailure || permit == .probe {
                        await record(provider.id, success: !error.countsAsProviderFailure, probe: permit == .probe)
                    }
                    if emitted || !error.allowsFallback { throw error }
                    if error.isRetryable, attempt < retry.attempts, let wait = retry.wait(after: error, attempt: attempt),
                        ContinuousClock.now + wait < deadline
                    {
                        try await Task.sleep(for: wait)
                        continue
                    }
                    errors.append(error)
                }
                break
            }
            if ContinuousClock.now >= deadline { break }
        }
        throw AllProvidersFailedError(errors: errors)
    }

    /// Counts a call in the provider's circuit; a change of state is logged and counted
    /// (`relay_circuit_transitions_total{provider,state}`).
    private func record(_ provider: String, success: Bool, probe: Bool) async {
        guard let changed = try? await circuits.record(provider, success: success, probe: probe, settings: breaker, now: Self.now())
        else { return }
        logger.warning("circuit changed", metadata: ["provider": "\(provider)", "state": "\(changed.rawValue)"])
        Counter(label: "relay_circuit_transitions_total", dimensions: [("provider", provider), ("state", changed.rawValue)])
            .increment()
    }

    private enum Outcome {
        case success(RouteResult)
        case failure(ProviderError, emitted: Bool)
    }

    private func attemptOnce(
        _ request: LLMRequest,
        provider: any LLMProvider,
        deadline: ContinuousClock.Instant,
        onEvent: @escaping @Sendable (ProviderEvent) async throws -> Void
    ) async -> Outcome {
        let progress = AttemptProgress()
        let firstEventDeadline = min(deadline, ContinuousClock.now + .milliseconds(breaker.timeout))
        let providerID = provider.id
        let firstEventLimit = breaker.timeout
        let started = ContinuousClock.now
        load.started(providerID)
        defer {
            let firstEvent = progress.withLock { $0.firstEventAt }
            load.finished(providerID, firstEventAfter: firstEvent.map { ($0 - started).milliseconds })
        }
        do {
            let result = try await withThrowingTaskGroup(of: RouteResult?.self) { group in
                group.addTask {
                    var text = ""
                    var usage: TokenUsage?
                    var embeddings: [[Double]]?
                    var finish: String?
                    for try await event in try await provider.stream(request) {
                        progress.withLock { state in
                            if !state.firstEvent { state.firstEventAt = .now }
                            state.firstEvent = true
                        }
                        switch event {
                        case .text(let piece):
                            text += piece
                            progress.withLock { $0.emitted = true }
                        case .usage(let reported): usage = reported
                        case .embeddings(let vectors): embeddings = vectors
                        case .finish(let reason): finish = reason
                        }
                        try await onEvent(event)
                    }
                    // A cancelled consumer sees the stream end quietly; that is not a finished answer.
                    if Task.isCancelled { throw ProviderError(.cancelled, provider: providerID, message: "cancelled") }
                    let finalUsage = usage ?? TokenUsage.estimate(prompt: request.promptText, completion: text)
                    return RouteResult(
                        provider: providerID, fallbackUsed: false, text: text, embeddings: embeddings,
                        finishReason: finish, usage: finalUsage, attempts: 1
                    )
                }
                group.addTask {
                    try await Task.sleep(until: firstEventDeadline)
                    if !progress.withLock({ $0.firstEvent }) {
                        throw ProviderError(.timeout, provider: providerID, message: "no response within \(firstEventLimit) ms")
                    }
                    try await Task.sleep(until: deadline)
                    throw ProviderError(.timeout, provider: providerID, message: "the request's deadline passed")
                }
                defer { group.cancelAll() }
                guard let first = try await group.next(), let result = first else {
                    throw ProviderError(.timeout, provider: providerID, message: "no result")
                }
                return result
            }
            return .success(result)
        } catch let error as ProviderError {
            let code = Task.isCancelled ? ProviderError(.cancelled, provider: providerID, message: "cancelled") : error
            return .failure(code, emitted: progress.withLock { $0.emitted })
        } catch {
            let wrapped = Task.isCancelled
                ? ProviderError(.cancelled, provider: providerID, message: "cancelled")
                : ProviderError(.streamBroken, provider: providerID, message: "\(error)")
            return .failure(wrapped, emitted: progress.withLock { $0.emitted })
        }
    }

    /// What an attempt has handed on so far, shared by its stream and its timer.
    private final class AttemptProgress: Sendable {
        struct State {
            var emitted = false
            var firstEvent = false
            var firstEventAt: ContinuousClock.Instant?
        }

        private let state = Mutex(State())
        func withLock<T>(_ body: (inout State) -> T) -> T { state.withLock { body(&$0) } }
    }

    static func now() -> Int {
        Int(Date().timeIntervalSince1970 * 1000)
    }
}

extension Duration {
    /// The duration in (fractional) milliseconds.
    var milliseconds: Double {
        Double(components.seconds) * 1000 + Double(components.attoseconds) / 1e15
    }
}
