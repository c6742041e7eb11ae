import ArgumentParser
import AsyncHTTPClient
import Foundation
import RelayProviders
import RelayRedis
import RelayWorkers
import Synchronization

/// `relay bench fallback`: llmock failing a share of requests on the first provider, a healthy llmock second;
/// the success rate, the latency a fallback adds, and how many requests the breaker takes to open when the first
/// provider fails outright. The breaker's state is in Redis, as the worker pools keep it.
struct FallbackBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fallback",
        abstract: "Success rate and fallback latency with a failing first provider (llmock), and requests to open the breaker."
    )

    @OptionGroup var redis: RedisOptions
    @OptionGroup var workers: WorkersOptions

    @Option(help: "Requests in the main run.")
    var requests: Int = 10_000

    @Option(help: "Requests in flight at once.")
    var concurrency: Int = 32

    @Option(help: "Share of the first provider's requests that fail with 503.")
    var failureRate: Double = 0.3

    @Option(help: "The llmock executable (bin/test's venv by default).")
    var llmock: String = ".venv/bin/llmock"

    func validate() throws {
        guard requests > 0, concurrency > 0, (0...1).contains(failureRate) else { throw ValidationError("bad counts or rate") }
        guard FileManager.default.isExecutableFile(atPath: llmock) else {
            throw ValidationError("no llmock at \(llmock): run bin/test once to create the venv, or pass --llmock")
        }
    }

    func run() async throws {
        let client = try redis.makeClient()
        let httpClient = ProviderHTTPClient.make()
        let flaky = try await FakeProvider.start(llmock, arguments: ["--error-rate", "503=\(failureRate)"])
        let healthy = try await FakeProvider.start(llmock, arguments: [])
        defer {
            flaky.stop()
            healthy.stop()
        }
        let breaker = try workers.load().breaker
        let prefix = "bench-fallback-\(UUID().uuidString.prefix(6))"
        let router = ProviderRouter(circuits: RedisCircuitStore(redis: client, prefix: prefix), breaker: breaker)
        let chain: [any LLMProvider] = [
            OpenAIProvider(id: "flaky", baseURL: flaky.baseURL, apiKey: "sk-bench", httpClient: httpClient),
            OpenAIProvider(id: "healthy", baseURL: healthy.baseURL, apiKey: "sk-bench", httpClient: httpClient),
        ]
        let request = LLMRequest(kind: .chat, model: "gpt-4o-mini", messages: [ChatMessage(role: "user", content: "hello")], maxTokens: 8)
        _ = try await Self.drive(router, chain: Array(chain.suffix(1)), request: request, count: 200, concurrency: concurrency)
        let direct = try await Self.drive(router, chain: Array(chain.suffix(1)), request: request, count: 2000, concurrency: concurrency)
        let store = RedisCircuitStore(redis: client, prefix: prefix)
        let completed = RequestCounter()
        let watcher = Task { () -> Int? in
            while !Task.isCancelled {
                let state = try? await store.snapshot("flaky", settings: breaker, now: Int(Date().timeIntervalSince1970 * 1000)).state
                if state == .open { return completed.current }
                try? await Task.sleep(for: .milliseconds(2))
            }
            return nil
        }
        let main = try await Self.drive(
            router, chain: chain, request: request, count: requests, concurrency: concurrency, completed: completed
        )
        watcher.cancel()
        let openedAfter = await watcher.value
        let state = try await RedisCircuitStore(redis: client, prefix: prefix).snapshot("flaky", settings: breaker, now: Int(Date().timeIntervalSince1970 * 1000))
        print("""
            llmock failing \(Int(failureRate * 100))% with 503 first, a healthy llmock second; \(requests) requests, \(concurrency) in flight; \
            breaker: threshold \(breaker.errorThresholdPercentage)%, volume \(breaker.volumeThreshold), window \(breaker.rollingCountTimeout) ms
              succeeded \(main.succeeded) of \(requests) (\(String(format: "%.3f", Double(main.succeeded) * 100 / Double(requests)))%); \
            served by the first provider \(main.first), after a retry on it \(main.retried), by the fallback \(main.fallbacks)
              latency p50 / p99: healthy provider alone \(ms(direct.p50(\.all))) / \(ms(direct.p99(\.all))); \
            first try succeeded \(ms(main.p50(\.clean))) / \(ms(main.p99(\.clean))); \
            retried on the first \(ms(main.p50(\.retry))) / \(ms(main.p99(\.retry))); \
            fell back \(ms(main.p50(\.fallback))) / \(ms(main.p99(\.fallback)))
              the first provider's circuit first opened after \(openedAfter.map { "\($0) requests" } ?? "never"); \
            after the run: \(state.state.rawValue), rolling error rate \(String(format: "%.1f", state.errorRate * 100))%
            """)
        // The first provider goes down for good: how many requests until its circuit opens?
        flaky.stop()
        let down = try await FakeProvider.start(llmock, arguments: ["--error-rate", "503=1.0"])
        defer { down.stop() }
        let downPrefix = prefix + "-down"
        let downRouter = ProviderRouter(circuits: RedisCircuitStore(redis: client, prefix: downPrefix), breaker: breaker)
        let downChain: [any LLMProvider] = [
            OpenAIProvider(id: "flaky", baseURL: down.baseURL, apiKey: "sk-bench", httpClient: httpClient), chain[1],
        ]
        var opened: Int?
        var succeeded = 0
        for index in 1...200 {
            if (try? await downRouter.run(request, chain: downChain, deadline: .now + .seconds(30), onEvent: { _ in })) != nil {
                succeeded += 1
            }
            let snapshot = try await RedisCircuitStore(redis: client, prefix: downPrefix).snapshot("flaky", settings: breaker, now: Int(Date().timeIntervalSince1970 * 1000))
            if snapshot.state == .open { opened = index; break }
        }
        print("""
              first provider failing every request: its circuit opened after \(opened.map(String.init) ?? "more than 200") \
            requests (each tried twice there before falling back), \(succeeded) of them answered by the fallback
            """)
        try await httpClient.shutdown()
        await client.close()
    }

    struct Outcome {
        var succeeded = 0
        var first = 0
        var retried = 0
        var fallbacks = 0
        var all: [Double] = []
        var clean: [Double] = []
        var retry: [Double] = []
        var fallback: [Double] = []

        func p50(_ path: KeyPath<Outcome, [Double]>) -> Double { percentile(self[keyPath: path], 0.5) }
        func p99(_ path: KeyPath<Outcome, [Double]>) -> Double { percentile(self[keyPath: path], 0.99) }
    }

    /// Runs `count` requests, `concurrency` at a time, timing each to its end.
    static func drive(
        _ router: ProviderRouter, chain: [any LLMProvider], request: LLMRequest, count: Int, concurrency: Int,
        completed: RequestCounter = RequestCounter()
    ) async throws -> Outcome {
        let next = RequestCounter()
        return await withTaskGroup(of: Outcome.self) { group in
            for _ in 0..<concurrency {
                group.addTask {
                    var outcome = Outcome()
                    while next.take() <= count {
                        let start = ContinuousClock.now
                        guard let result = try? await router.run(request, chain: chain, deadline: .now + .seconds(30), onEvent: { _ in })
                        else { continue }
                        let elapsed = seconds(ContinuousClock.now - start)
                        _ = completed.take()
                        outcome.succeeded += 1
                        outcome.all.append(elapsed)
                        if result.fallbackUsed {
                            outcome.fallbacks += 1
                            outcome.fallback.append(elapsed)
                        } else if result.attempts > 1 {
                            outcome.retried += 1
                            outcome.retry.append(elapsed)
                        } else {
                            outcome.first += 1
                            outcome.clean.append(elapsed)
                        }
                    }
                    return outcome
                }
            }
            var total = Outcome()
            for await part in group {
                total.succeeded += part.succeeded
                total.first += part.first
                total.retried += part.retried
                total.fallbacks += part.fallbacks
                total.all += part.all
                total.clean += part.clean
                total.retry += part.retry
                total.fallback += part.fallback
            }
            return total
        }
    }
}

/// Hands out request numbers to the benchmark's concurrent loops.
final class RequestCounter: Sendable {
    private let value = Atomic<Int>(0)
    func take() -> Int { value.add(1, ordering: .relaxed).newValue }
    var current: Int { value.load(ordering: .relaxed) }
}

/// An llmock server the benchmark starts on a free port and kills afterwards.
struct FakeProvider {
    let process: Process
    let port: Int
    var baseURL: String { "http://127.0.0.1:\(port)/v1" }

    static func start(_ executable: String, arguments: [String]) async throws -> FakeProvider {
        let port = try RelayChildProcess.freePort()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = [
            "serve", "--host", "127.0.0.1", "--port", String(port), "--log-level", "warning", "--latency-ms", "0",
            "--stream-chunk-delay-ms", "0",
        ] + arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let provider = FakeProvider(process: process, port: port)
        for _ in 0..<300 {
            let probe = HTTPProbe(port: port)
            if await probe.answers() { return provider }
            try await Task.sleep(for: .milliseconds(50))
        }
        provider.stop()
        throw BenchError("llmock did not start on port \(port)")
    }

    /// uvicorn waits for kept-alive connections on SIGTERM; the benchmark's client keeps them, so kill it.
    func stop() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}

private func ms(_ value: Double) -> String { String(format: "%.1f ms", value * 1000) }
