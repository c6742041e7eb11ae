@testable import RelayProviders
import Testing

@Suite("Load-balanced provider order for auto")
struct ProviderLoadTests {
    @Test("fewest in flight first, weighted by latency; new providers count as typical")
    func balanced() {
        let load = ProviderLoad()
        #expect(load.balanced(["a", "b", "c"]) == ["a", "b", "c"])
        load.started("a")
        load.started("a")
        #expect(load.balanced(["a", "b"]) == ["b", "a"])
        load.finished("a", firstEventAfter: 10)
        load.finished("a", firstEventAfter: 10)
        load.started("b")
        load.finished("b", firstEventAfter: 100)
        #expect(load.figures("a") == .init(inFlight: 0, latencyMs: 10))
        // Same in flight (none): the faster one first; a provider without a latency yet sits between them.
        #expect(load.balanced(["b", "a", "c"]) == ["a", "c", "b"])
        // The moving average follows new samples.
        load.started("a")
        load.finished("a", firstEventAfter: 60)
        #expect(load.figures("a").latencyMs == 20)
    }
}
