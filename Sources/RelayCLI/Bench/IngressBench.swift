import ArgumentParser
import Foundation
import RelayIngress
import RelayProviders

/// `relay bench ingress`: latency to the first chunk through the whole path (client → ingress → Redis → worker →
/// pub/sub → client) at a fixed request rate, beside a direct call to the simulated provider; then idle
/// authenticated WebSocket connections held by one ingress process, with its RSS.
struct IngressBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingress",
        abstract: "First-chunk latency through the whole path at a fixed rate, and idle WebSocket connections with RSS."
    )

    @OptionGroup var redis: RedisOptions

    @Option(help: "Requests per second in the latency run.")
    var rate: Int = 1000

    @Option(help: "Requests in the latency run.")
    var requests: Int = 20_000

    @Option(help: "WebSocket connections the latency run spreads its requests over.")
    var connections: Int = 50

    @Option(help: "Idle authenticated WebSocket connections to hold (each process may open at most `ulimit -n` files).")
    var idle: Int = 19_000

    @Option(help: "Postgres URL: bill every request through the ledger too (default: no ledger).")
    var database: String?

    func validate() throws {
        guard rate > 0, requests > 0, connections > 0, idle >= 0 else { throw ValidationError("counts must be positive") }
    }

    func run() async throws {
        let secret = (0..<4).map { _ in UUID().uuidString }.joined()
        let configPath = FileManager.default.temporaryDirectory.appendingPathComponent("relay-bench-\(UUID().uuidString.prefix(8)).yml").path
        let queue = "bench-ingress-\(UUID().uuidString.prefix(8))"
        try Self.workersYAML(queue: queue).write(toFile: configPath, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: configPath) }
        var environment = ["RELAY_JWT_SECRET": secret, "REDIS_URL": redis.resolvedURL]
        environment["DATABASE_URL"] = database ?? ""
        let port = try RelayChildProcess.freePort()
        let child = try RelayChildProcess.start(
            arguments: ["dev", "--config", configPath], environment: environment, port: port, log: "/tmp/relay-bench-ingress.log"
        )
        defer { child.stop() }
        try await child.waitUntilHealthy()
        let authority = try await TokenAuthority(configuration: .init(secret: secret))
        let client = IngressBenchClient(port: port, authority: authority)

        let direct = try await Self.directFirstToken(count: min(requests, 20_000))
        print("direct call to the simulated provider, time to the first token: p50 \(ms(direct.p50)), p99 \(ms(direct.p99))")
        _ = try await client.latencyRun(rate: min(rate, 200), requests: min(requests, 1000), connections: connections, users: 100)
        let run = try await client.latencyRun(rate: rate, requests: requests, connections: connections, users: 100)
        print("""
            through Relay at \(rate) requests/s (\(requests) requests, \(connections) connections, achieved \(Int(run.achievedRate))/s, \
            \(run.failed) failed\(database == nil ? ", no ledger" : ", ledger on")):
              first chunk p50 \(ms(run.p50)), p99 \(ms(run.p99)), max \(ms(run.max)); added over the direct call: \
            p50 \(ms(run.p50 - direct.p50)), p99 \(ms(run.p99 - direct.p99))
            """)
        if idle > 0 {
            let before = child.residentBytes
            let held = try await client.holdIdle(count: idle) {
                let after = child.residentBytes
                let perConnection = Double(after - before) / Double(max(1, idle))
                print("""
                    idle authenticated WebSocket connections held: \(idle); ingress process RSS \(mb(before)) before, \
                    \(mb(after)) with them (\(String(format: "%.1f", perConnection / 1024)) KiB per connection)
                    """)
            }
            if held < idle { print("only \(held) of \(idle) connections could be opened") }
        }
    }

    static func workersYAML(queue: String) -> String {
        """
        pools:
          bench: { queue: \(queue), concurrency: 512, kinds: [chat, completion, embedding], timeout: 30000 }
        providers:
          simulated:
            kind: simulated
            latencyMs: 0
            models:
              bench-model: { contextWindow: 32768, capabilities: [chat, completion, embedding], price: { input: 0.01, output: 0.01 } }
        routing:
          bench-model: [simulated]
        """
    }

    /// Time from calling the simulated provider (zero delay) to its first token, in-process.
    static func directFirstToken(count: Int) async throws -> (p50: Double, p99: Double) {
        let provider = SimulatedProvider(id: "simulated")
        let request = LLMRequest(kind: .chat, model: "bench-model", messages: [ChatMessage(role: "user", content: "hello")], maxTokens: 8)
        var samples: [Double] = []
        samples.reserveCapacity(count)
        for _ in 0..<count {
            let start = ContinuousClock.now
            for try await event in try await provider.stream(request) {
                if case .text = event { break }
            }
            samples.append(seconds(ContinuousClock.now - start))
        }
        return (percentile(samples, 0.5), percentile(samples, 0.99))
    }
}

func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}

func percentile(_ values: [Double], _ fraction: Double) -> Double {
    guard !values.isEmpty else { return 0 }
    let sorted = values.sorted()
    return sorted[min(sorted.count - 1, Int(Double(sorted.count - 1) * fraction))]
}

private func ms(_ value: Double) -> String { String(format: "%.2f ms", value * 1000) }
private func mb(_ bytes: Int) -> String { String(format: "%.1f MB", Double(bytes) / 1_000_000) }
