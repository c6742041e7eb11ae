import BullQueue
import Foundation
import RelayRedis
import Testing

/// A queue with a name unique to one test, on the Redis `bin/test` started; obliterated afterwards.
struct TestQueue {
    let redis: RedisClient
    let queue: Queue

    static func make(_ function: String = #function) throws -> TestQueue {
        let url = ProcessInfo.processInfo.environment["REDIS_URL"] ?? "redis://127.0.0.1:6379"
        let redis = try RedisClient(url: url)
        let name = "t-\(function.prefix { $0 != "(" })-\(UUID().uuidString.prefix(8))"
        return TestQueue(redis: redis, queue: try Queue(name: name, redis: redis))
    }

    func close() async {
        try? await queue.obliterate(force: true)
        await redis.close()
    }

    /// Runs `body` and cleans up afterwards, also when it throws.
    static func with(_ function: String = #function, _ body: (TestQueue) async throws -> Void) async throws {
        let test = try make(function)
        do {
            try await body(test)
            await test.close()
        } catch {
            await test.close()
            throw error
        }
    }

    /// The events stream, as (event, fields) in order.
    func events() async throws -> [QueueEvent] {
        let reply = try await redis.send("XRANGE", queue.keys.events, "-", "+")
        return (reply.array ?? []).compactMap { entry in
            guard let parts = entry.array, let id = parts.first?.string else { return nil }
            return QueueEvent.make(id: id, fields: parts[1].array?.compactMap(\.string) ?? [])
        }
    }

    /// Starts a worker in the background; returns it and the task running it.
    func startWorker(
        options: WorkerOptions = WorkerOptions(),
        processor: @escaping JobProcessor
    ) -> (Worker, Task<Void, any Error>) {
        let worker = Worker(queue: queue, options: options, processor: processor)
        return (worker, Task { try await worker.run() })
    }
}

/// Polls until `condition` holds or the deadline passes.
func eventually(
    within timeout: Duration = .seconds(10),
    _ condition: () async throws -> Bool
) async throws -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try await Task.sleep(for: .milliseconds(10))
    }
    return try await condition()
}
