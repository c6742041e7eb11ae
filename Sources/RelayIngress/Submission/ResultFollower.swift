import BullQueue
import Foundation
import RelayRedis
import RelayWorkers

/// Turns a job's messages, published on the process's reply channel, and its kept log into one ordered stream:
/// every message after a sequence number exactly once, then the live tail, until `done` or `error`.
///
/// Pub/sub loses what is published while nobody listens (or while the connection is down), so a gap in the
/// numbers, or a quiet spell, is filled from the kept log; a job that ended without a last message (its worker
/// died for good, or it was removed) ends the stream with an error. The stream runs in the task that iterates it:
/// a message goes from the Redis connection to its reader with no task in between.
struct ResultFollower: Sendable {
    let stream: JobStream
    let queue: Queue
    let jobId: String
    let replies: ReplyChannel
    /// How long without a message before the log and the job's state are checked.
    var quietCheck: Duration = Self.quietCheck

    static let quietCheck: Duration = .seconds(1)

    /// Follows the job from `after`, using a subscription made before the job was added (or, with nil, a new one,
    /// routing the job's messages to this process: a resume).
    /// A subscription made before the job was added has missed nothing, so the kept log is read only on a gap.
    func follow(after: Int, subscription: RedisSubscription?) -> JobMessages {
        JobMessages(follower: self, after: after, subscription: subscription)
    }

    /// An error when the job is over (or gone) though its stream has no last message.
    func endedWithoutResult() async throws -> IngressError? {
        switch try await queue.getJobState(jobId) {
        case .completed, .failed:
            let job = try await queue.getJob(jobId)
            let reason = job?.failedReason ?? "the job ended without publishing its result"
            let code = reason.split(separator: ":").first.map(String.init) ?? "INTERNAL"
            let known = ["CANCELLED", "TIMEOUT", "PROVIDER_ERROR", "ALL_PROVIDERS_FAILED", "INVALID_REQUEST"]
            return IngressError(IngressError.Code(rawValue: known.contains(code) ? code : "INTERNAL"), reason)
        case .unknown:
            return IngressError(.internal, "the job no longer exists")
        default:
            return nil
        }
    }
}

/// A job's results in order, each once, ending with `done` or `error` (``ResultFollower``).
public struct JobMessages: AsyncSequence, Sendable {
    public typealias Element = JobMessage

    let follower: ResultFollower
    let after: Int
    let subscription: RedisSubscription?

    public func makeAsyncIterator() -> Iterator {
        Iterator(follower: follower, last: after, provided: subscription)
    }

    public struct Iterator: AsyncIteratorProtocol {
        let follower: ResultFollower
        var last: Int
        let provided: RedisSubscription?
        private var listening: Listening?
        private var ready: [JobMessage] = []
        private var readyIndex = 0
        private var sawTerminal = false
        private var finished = false
        private var quietBeats = 0

        init(follower: ResultFollower, last: Int, provided: RedisSubscription?) {
            self.follower = follower
            self.last = last
            self.provided = provided
        }

        /// Whether the next message is already at hand, so `next()` returns it without waiting.
        public var hasReady: Bool { readyIndex < ready.count }

        public mutating func next() async throws -> JobMessage? {
            do {
                while !finished {
                    if readyIndex < ready.count {
                        defer { readyIndex += 1 }
                        return ready[readyIndex]
                    }
                    ready.removeAll(keepingCapacity: true)
                    readyIndex = 0
                    if sawTerminal { break }
                    try await receive()
                }
            } catch {
                end()
                throw error
            }
            end()
            return nil
        }

        private mutating func end() {
            finished = true
            listening?.subscription.unsubscribe()
        }

        /// Waits for the next message (or heartbeat) and adds what it brings to `ready`.
        private mutating func receive() async throws {
            guard let listening else {
                let subscription: RedisSubscription
                if let provided {
                    subscription = provided
                } else {
                    subscription = try await follower.replies.listen(to: follower.stream, heartbeat: follower.quietCheck)
                    do {
                        try await follower.replies.route(follower.stream)
                    } catch {
                        subscription.unsubscribe()
                        throw error
                    }
                }
                self.listening = Listening(subscription: subscription)
                // Anything published before the subscription: from the log.
                if provided == nil || last > 0 { try await readLog() }
                return
            }
            guard let message = try await listening.next() else { throw CancellationError() }
            try Task.checkCancellation()
            if message.isHeartbeat {
                quietBeats += 1
                try await readLog()
                if !sawTerminal, quietBeats % 5 == 0, let error = try await follower.endedWithoutResult() {
                    // The worker's last message may land just now: read the log once more first.
                    try await readLog()
                    if !sawTerminal { throw error }
                }
                return
            }
            quietBeats = 0
            for line in JobStream.messages(inPayload: message.text) {
                guard let job = JobMessage(json: String(line)), job.seq > last else { continue }
                guard job.seq == last + 1 else {
                    try await readLog()
                    return
                }
                take(job)
                if sawTerminal { return }
            }
        }

        private mutating func take(_ message: JobMessage) {
            last = message.seq
            ready.append(message)
            if message.isTerminal { sawTerminal = true }
        }

        /// Adds the kept messages after `last`, in order, up to the terminal one.
        private mutating func readLog() async throws {
            for value in try await follower.stream.messages(after: last) {
                guard let message = JobMessage(value), message.seq == last + 1 else { continue }
                take(message)
                if sawTerminal { return }
            }
        }
    }

    /// The subscription an iterator reads; ended when the iterator is dropped, however it ends.
    private final class Listening {
        let subscription: RedisSubscription
        var messages: RedisSubscription.AsyncIterator

        init(subscription: RedisSubscription) {
            self.subscription = subscription
            self.messages = subscription.makeAsyncIterator()
        }

        func next() async throws -> RedisPubSubMessage? {
            try await messages.next()
        }

        deinit { subscription.unsubscribe() }
    }
}
