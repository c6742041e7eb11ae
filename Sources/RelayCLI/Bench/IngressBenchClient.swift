import Foundation
import HTTPTypes
import Logging
import NIOWebSocket
import RelayIngress
import Synchronization
import WSClient

/// The client side of `relay bench ingress`: WebSocket connections that send requests at a fixed rate and time
/// the first chunk of each, or that just stay open.
struct IngressBenchClient: Sendable {
    let port: Int
    let authority: TokenAuthority
    let logger = Logger(label: "relay.bench")

    struct LatencyResult {
        var p50: Double
        var p99: Double
        var max: Double
        var achievedRate: Double
        var failed: Int
    }

    /// Sends `requests` chat requests at `rate` per second over `connections` connections of `users` users.
    func latencyRun(rate: Int, requests: Int, connections: Int, users: Int) async throws -> LatencyResult {
        let tracker = LatencyTracker(expected: requests)
        let writers = OpenConnections()
        var tokens: [String] = []
        for index in 0..<connections {
            tokens.append(try await authority.sign(Identity(userId: "bench-u\(index % users)", permissions: ["services:use"]), ttl: .seconds(3600)))
        }
        return try await withThrowingTaskGroup(of: Void.self) { group in
            for token in tokens {
                group.addTask {
                    try await connect(token: token) { inbound, outbound in
                        writers.add(outbound)
                        for try await message in inbound.messages(maxSize: 1 << 20) {
                            if case .text(let text) = message { tracker.received(text) }
                        }
                    }
                }
            }
            while writers.count < connections { try await Task.sleep(for: .milliseconds(10)) }
            let outbound = writers.all
            let start = ContinuousClock.now
            let interval = Duration.nanoseconds(1_000_000_000 / rate)
            for index in 0..<requests {
                let due = start + interval * index
                if due > ContinuousClock.now { try await Task.sleep(until: due) }
                let id = "r\(index)"
                let body = #"{"id":"\#(id)","type":"chat","model":"bench-model","maxTokens":8,"messages":[{"role":"user","content":"hello \#(index % 97)"}]}"#
                tracker.sent(id)
                try await outbound[index % outbound.count].write(.text(body))
            }
            let sending = seconds(ContinuousClock.now - start)
            try await tracker.waitUntilFinished(timeout: .seconds(60))
            for writer in outbound { try? await writer.close(.normalClosure, reason: nil) }
            try await group.waitForAll()
            let samples = tracker.samples
            return LatencyResult(
                p50: percentile(samples, 0.5), p99: percentile(samples, 0.99), max: samples.max() ?? 0,
                achievedRate: Double(requests) / sending, failed: tracker.failed
            )
        }
    }

    /// Opens `count` authenticated connections, runs `measure` while they are all open, then closes them.
    /// Returns how many could be opened.
    func holdIdle(count: Int, measure: @Sendable () async -> Void) async throws -> Int {
        let token = try await authority.sign(Identity(userId: "bench-idle", permissions: ["services:use"]), ttl: .seconds(3600))
        let writers = OpenConnections()
        return try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<count {
                if index % 500 == 499 {
                    while writers.count + writers.failures < index - 100 {
                        try await Task.sleep(for: .milliseconds(5))
                    }
                }
                group.addTask {
                    do {
                        try await connect(token: token) { inbound, outbound in
                            writers.add(outbound)
                            for try await _ in inbound {}
                        }
                    } catch {
                        writers.failed()
                    }
                }
            }
            while writers.count + writers.failures < count {
                try await Task.sleep(for: .milliseconds(50))
            }
            try await Task.sleep(for: .seconds(3))
            await measure()
            let open = writers.all
            for writer in open { try? await writer.close(.normalClosure, reason: nil) }
            try await group.waitForAll()
            return open.count
        }
    }

    private func connect(
        token: String, _ handler: @escaping @Sendable (WebSocketInboundStream, WebSocketOutboundWriter) async throws -> Void
    ) async throws {
        var configuration = WebSocketClientConfiguration()
        configuration.additionalHeaders = [.authorization: "Bearer \(token)"]
        configuration.autoPing = .disabled
        try await WebSocketClient.connect(url: "ws://127.0.0.1:\(port)/ws", configuration: configuration, logger: logger) { inbound, outbound, _ in
            try await handler(inbound, outbound)
        }
    }
}

/// The writers of the connections a run opened, and how many could not be opened.
final class OpenConnections: Sendable {
    private let state = Mutex<(writers: [WebSocketOutboundWriter], failures: Int)>(([], 0))

    func add(_ writer: WebSocketOutboundWriter) { state.withLock { $0.writers.append(writer) } }
    func failed() { state.withLock { $0.failures += 1 } }
    var count: Int { state.withLock { $0.writers.count } }
    var failures: Int { state.withLock { $0.failures } }
    var all: [WebSocketOutboundWriter] { state.withLock { $0.writers } }
}

/// Times each request from its send to its first chunk, and counts the finished ones.
final class LatencyTracker: Sendable {
    private struct State {
        var sentAt: [String: ContinuousClock.Instant] = [:]
        var samples: [Double] = []
        var finished = 0
        var failed = 0
        var waiter: CheckedContinuation<Void, Never>?
    }

    private let state = Mutex(State())
    private let expected: Int

    init(expected: Int) { self.expected = expected }

    func sent(_ id: String) {
        let now = ContinuousClock.now
        state.withLock { $0.sentAt[id] = now }
    }

    func received(_ text: String) {
        let now = ContinuousClock.now
        guard let id = Self.field("id", in: text) else { return }
        let type = Self.field("type", in: text)
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if let sent = state.sentAt.removeValue(forKey: id), type == "chunk" || type == "done" {
                state.samples.append(seconds(now - sent))
            }
            guard type == "done" || type == "error" else { return nil }
            state.finished += 1
            if type == "error" { state.failed += 1 }
            guard state.finished == expected else { return nil }
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }

    var samples: [Double] { state.withLock { $0.samples } }
    var failed: Int { state.withLock { $0.failed + ($0.finished < expected ? expected - $0.finished : 0) } }

    func waitUntilFinished(timeout: Duration) async throws {
        let watchdog = Task {
            try await Task.sleep(for: timeout)
            let waiter = state.withLock { state in
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume()
        }
        await withCheckedContinuation { continuation in
            let done = state.withLock { state -> Bool in
                if state.finished >= expected { return true }
                state.waiter = continuation
                return false
            }
            if done { continuation.resume() }
        }
        watchdog.cancel()
    }

    /// The string value of `"name":"…"` in compact JSON, without parsing the whole message.
    static func field(_ name: String, in text: String) -> String? {
        guard let start = text.range(of: "\"\(name)\":\"") else { return nil }
        guard let end = text[start.upperBound...].firstIndex(of: "\"") else { return nil }
        return String(text[start.upperBound..<end])
    }
}
