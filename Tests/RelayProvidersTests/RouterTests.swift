import Foundation
import RelayJSON
import RelayProviders
import Synchronization
import Testing

/// A provider that fails with a given error a number of times, then delegates.
final class FlakyProvider: LLMProvider {
    let id: String
    let failures: Mutex<Int>
    let error: ProviderError.Code
    let healthy = SimulatedProvider()

    init(id: String, failures: Int, error: ProviderError.Code = .unavailable) {
        self.id = id
        self.failures = Mutex(failures)
        self.error = error
    }

    func stream(_ request: LLMRequest) async throws -> AsyncThrowingStream<ProviderEvent, any Error> {
        let fail = failures.withLock { count -> Bool in
            guard count > 0 else { return false }
            count -= 1
            return true
        }
        if fail { throw ProviderError(error, provider: id, status: 503, message: "flaky") }
        return try await healthy.stream(request)
    }
}

@Suite("Routing, fallback and the circuit breaker")
struct RouterTests {
    let deadline = ContinuousClock.now + .seconds(10)

    @Test("a failing first provider falls back to the second, transparently")
    func fallback() async throws {
        let router = ProviderRouter(circuits: InMemoryCircuitStore(), retry: RetryPolicy(attempts: 2, initialBackoff: .milliseconds(1)))
        let received = Mutex("")
        let result = try await router.run(chat, chain: [FlakyProvider(id: "a", failures: 10), SimulatedProvider(id: "b")], deadline: deadline) { event in
            if case .text(let piece) = event { received.withLock { $0 += piece } }
        }
        #expect(result.provider == "b" && result.fallbackUsed)
        #expect(result.attempts == 3)
        #expect(received.withLock { $0 } == result.text)
    }

    @Test("a retry on the same provider succeeds without fallback")
    func retry() async throws {
        let router = ProviderRouter(circuits: InMemoryCircuitStore(), retry: RetryPolicy(attempts: 3, initialBackoff: .milliseconds(1)))
        let result = try await router.run(chat, chain: [FlakyProvider(id: "a", failures: 2)], deadline: deadline) { _ in }
        #expect(result.provider == "a" && !result.fallbackUsed && result.attempts == 3)
    }

    @Test("an invalid request is not retried or passed to another provider")
    func invalidRequest() async throws {
        let router = ProviderRouter(circuits: InMemoryCircuitStore())
        let error = await #expect(throws: ProviderError.self) {
            _ = try await router.run(chat, chain: [FlakyProvider(id: "a", failures: 1, error: .invalidRequest), SimulatedProvider(id: "b")], deadline: deadline) { _ in }
        }
        #expect(error?.code == .invalidRequest)
    }

    @Test("the breaker opens at the error threshold, rejects, then closes after a good half-open probe")
    func breakerLifecycle() async throws {
        let store = InMemoryCircuitStore()
        let settings = CircuitBreakerSettings(errorThresholdPercentage: 50, volumeThreshold: 4, resetTimeout: 200)
        let router = ProviderRouter(circuits: store, breaker: settings, retry: RetryPolicy(attempts: 1))
        let flaky = FlakyProvider(id: "a", failures: 4)
        for _ in 0..<4 {
            _ = try? await router.run(chat, chain: [flaky], deadline: deadline) { _ in }
        }
        #expect(try await store.snapshot("a", settings: settings, now: Int(Date().timeIntervalSince1970 * 1000)).state == .open)
        let rejected = await #expect(throws: AllProvidersFailedError.self) {
            _ = try await router.run(chat, chain: [flaky], deadline: deadline) { _ in }
        }
        #expect(rejected?.errors.first?.code == .circuitOpen)
        try await Task.sleep(for: .milliseconds(250))
        let result = try await router.run(chat, chain: [flaky], deadline: deadline) { _ in }
        #expect(result.provider == "a")
        #expect(try await store.snapshot("a", settings: settings, now: Int(Date().timeIntervalSince1970 * 1000)).state == .closed)
    }

    @Test("tallied successes count in the window without moving the circuit")
    func inMemoryTally() async throws {
        let store = InMemoryCircuitStore()
        let settings = CircuitBreakerSettings(errorThresholdPercentage: 50, volumeThreshold: 4)
        let now = Int(Date().timeIntervalSince1970 * 1000)
        try await store.tally("a", successes: 6, settings: settings, now: now)
        #expect(try await store.snapshot("a", settings: settings, now: now).successes == 6)
        for _ in 0..<5 { #expect(try await store.record("a", success: false, probe: false, settings: settings, now: now) == nil) }
        #expect(try await store.record("a", success: false, probe: false, settings: settings, now: now) == .open)
        try await store.tally("a", successes: 3, settings: settings, now: now)
        #expect(try await store.snapshot("a", settings: settings, now: now).successes == 6)
    }

    @Test("the deadline covers a slow streamed body")
    func deadlineCoversBody() async throws {
        let slow = SimulatedProvider(id: "slow", configuration: .init(tokensPerSecond: 5, defaultTokens: 50))
        let router = ProviderRouter(circuits: InMemoryCircuitStore(), retry: RetryPolicy(attempts: 1))
        let started = ContinuousClock.now
        let error = await #expect(throws: ProviderError.self) {
            _ = try await router.run(chat, chain: [slow], deadline: .now + .milliseconds(500)) { _ in }
        }
        #expect(error?.code == .timeout)
        #expect(ContinuousClock.now - started < .seconds(2))
    }

    @Test("text that went out is never followed by another provider's text")
    func noMixing() async throws {
        let router = ProviderRouter(circuits: InMemoryCircuitStore(), retry: RetryPolicy(attempts: 1))
        let broken = BrokenAfterTextProvider()
        let error = await #expect(throws: ProviderError.self) {
            _ = try await router.run(chat, chain: [broken, SimulatedProvider(id: "b")], deadline: deadline) { _ in }
        }
        #expect(error?.code == .streamBroken && error?.provider == "broken")
    }
}

/// Streams one piece of text, then breaks.
struct BrokenAfterTextProvider: LLMProvider {
    let id = "broken"
    func stream(_ request: LLMRequest) async throws -> AsyncThrowingStream<ProviderEvent, any Error> {
        AsyncThrowingStream { continuation in
            continuation.yield(.text("partial"))
            continuation.finish(throwing: ProviderError(.streamBroken, provider: "broken", message: "cut"))
        }
    }
}
