import Synchronization

/// Remembers that Postgres was unreachable, so that while it stays down one operation at a time (a probe, at most
/// once per retry interval) waits for it and the others fail at once with `LEDGER_UNAVAILABLE`.
final class Availability: Sendable {
    private struct State {
        var failedAt: ContinuousClock.Instant?
        var probing = false
    }

    private let state = Mutex(State())
    let retryInterval: Duration

    init(retryInterval: Duration) {
        self.retryInterval = retryInterval
    }

    /// Whether an operation may try Postgres now (it becomes the probe when Postgres was down).
    func mayTry() -> Bool {
        state.withLock { state in
            guard let failedAt = state.failedAt else { return true }
            guard !state.probing, ContinuousClock.now - failedAt >= retryInterval else { return false }
            state.probing = true
            return true
        }
    }

    func succeeded() {
        state.withLock { state in
            if state.failedAt != nil || state.probing { state = State() }
        }
    }

    func failed() {
        state.withLock { state in
            state.failedAt = .now
            state.probing = false
        }
    }
}
