import BullQueue
import Foundation
import RelayRedis
import RelayWorkers

/// Turns a job's pub/sub channel and kept log into one ordered stream: every message after a sequence number
/// exactly once, then the live tail, until `done` or `error`.
///
/// Pub/sub loses what is published while nobody listens (or while the connection is down), so a gap in the
/// numbers, or a quiet spell, is filled from the kept log; a job that ended without a last message (its worker
/// died for good, or it was removed) ends the stream with an error.
struct ResultFollower: Sendable {
    let stream: JobStream
    let queue: Queue
    let jobId: String
    /// How long without a message before the log and the job's state are checked.
    var quietCheck: Duration = .seconds(1)

    private enum Event: Sendable {
        case message(String)
        case tick
        case failed(any Error)
    }

    /// Follows the job from `after`, using a subscription made before the job was added (or a new one).
    /// A subscription made before the job was added has missed nothing, so the kept log is read only on a gap.
    func follow(after: Int, subscription: RedisSubscription?) -> AsyncThrowingStream<JobMessage, any Error> {
        let (output, continuation) = AsyncThrowingStream.makeStream(of: JobMessage.self)
        let provided = subscription
        let task = Task {
            do {
                let subscription: RedisSubscription
                if let existing = provided {
                    subscription = existing
                } else {
                    subscription = try await stream.redis.subscribe(to: [stream.channel])
                }
                defer { subscription.unsubscribe() }
                try await run(
                    after: after, subscription: subscription, readLogFirst: provided == nil || after > 0,
                    continuation: continuation
                )
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in task.cancel() }
        return output
    }

    private func run(
        after: Int, subscription: RedisSubscription, readLogFirst: Bool,
        continuation: AsyncThrowingStream<JobMessage, any Error>.Continuation
    ) async throws {
        let (events, feed) = AsyncStream.makeStream(of: Event.self)
        let listener = Task {
            do {
                for try await message in subscription { feed.yield(.message(message.text)) }
            } catch {
                feed.yield(.failed(error))
            }
        }
        let ticker = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: quietCheck)
                feed.yield(.tick)
            }
        }
        defer {
            listener.cancel()
            ticker.cancel()
            feed.finish()
        }
        var last = after
        var quietTicks = 0
        // Anything published before the subscription: from the log.
        if readLogFirst, try await deliverLog(after: &last, continuation: continuation) { return }
        for await event in events {
            try Task.checkCancellation()
            switch event {
            case .message(let text):
                guard let message = JobMessage(json: text), message.seq > last else { continue }
                quietTicks = 0
                if message.seq == last + 1 {
                    last = message.seq
                    continuation.yield(message)
                    if message.isTerminal { return }
                } else if try await deliverLog(after: &last, continuation: continuation) {
                    return
                }
            case .tick:
                quietTicks += 1
                if try await deliverLog(after: &last, continuation: continuation) { return }
                if quietTicks % 5 == 0, let error = try await endedWithoutResult() {
                    // The worker's last message may land just now: read the log once more first.
                    if try await deliverLog(after: &last, continuation: continuation) { return }
                    throw error
                }
            case .failed(let error):
                throw error
            }
        }
        throw CancellationError()
    }

    /// Delivers kept messages after `last`, in order; true when the terminal one was among them.
    private func deliverLog(
        after last: inout Int, continuation: AsyncThrowingStream<JobMessage, any Error>.Continuation
    ) async throws -> Bool {
        for value in try await stream.messages(after: last) {
            guard let message = JobMessage(value), message.seq == last + 1 else { continue }
            last = message.seq
            continuation.yield(message)
            if message.isTerminal { return true }
        }
        return false
    }

    /// An error when the job is over (or gone) though its stream has no last message.
    private func endedWithoutResult() async throws -> IngressError? {
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
