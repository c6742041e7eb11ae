import RelayJSON
import Synchronization

/// Sends a job's messages to its ``JobStream`` in order without waiting for each one: the first goes out at once,
/// and those that come while a publish is on its way go together in the next. A provider that streams faster than
/// Redis answers then costs a few calls per job instead of one per token; a slow one still sees every token sent
/// as it comes.
final class JobStreamWriter: Sendable {
    /// Messages waiting at most; ``send(_:)`` waits for the stream to catch up beyond this.
    static let maxPending = 256

    private struct State: Sendable {
        var pending: [String] = []
        var publishing = false
        var failure: (any Error)?
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    let stream: JobStream
    private let state = Mutex(State())

    init(stream: JobStream) {
        self.stream = stream
    }

    /// Queues a message; throws when an earlier publish failed.
    func send(_ message: JSONValue) async throws {
        let line = message.json
        let (start, full) = try state.withLock { state -> (Bool, Bool) in
            if let failure = state.failure { throw failure }
            state.pending.append(line)
            if state.publishing { return (false, state.pending.count >= Self.maxPending) }
            state.publishing = true
            return (true, false)
        }
        if start { Task { await self.publishPending() } }
        if full { try await flush() }
    }

    /// Returns once every message sent so far is published; throws when one could not be.
    func flush() async throws {
        await withCheckedContinuation { (waiter: CheckedContinuation<Void, Never>) in
            let idle = state.withLock { state -> Bool in
                guard state.publishing else { return true }
                state.waiters.append(waiter)
                return false
            }
            if idle { waiter.resume() }
        }
        if let failure = state.withLock({ $0.failure }) { throw failure }
    }

    private func publishPending() async {
        while true {
            let (lines, waiters) = state.withLock { state -> ([String], [CheckedContinuation<Void, Never>]) in
                guard !state.pending.isEmpty, state.failure == nil else {
                    state.pending.removeAll()
                    state.publishing = false
                    defer { state.waiters.removeAll() }
                    return ([], state.waiters)
                }
                defer { state.pending.removeAll(keepingCapacity: true) }
                return (state.pending, [])
            }
            guard !lines.isEmpty else {
                for waiter in waiters { waiter.resume() }
                return
            }
            do {
                try await stream.publish(lines: lines)
            } catch {
                state.withLock { $0.failure = error }
            }
        }
    }
}
