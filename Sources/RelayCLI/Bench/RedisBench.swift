import ArgumentParser
import Foundation
import RelayRedis

/// `relay bench redis`: the client's round trips and pipelined throughput beside `redis-benchmark` on the same server.
struct RedisBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "redis",
        abstract: "Round trips and pipelined SET throughput of Relay's Redis client, beside redis-benchmark."
    )

    @OptionGroup var redis: RedisOptions

    @Option(help: "Commands per measurement.")
    var requests: Int = 200_000

    @Option(help: "Commands per pipelined batch (redis-benchmark -P).")
    var pipeline: Int = 16

    @Option(help: "Concurrent tasks sending batches (redis-benchmark -c).")
    var clients: Int = 50

    @Option(help: "Pipelined connections the client spreads commands over.")
    var connections: Int = 1

    @Option(help: "Size of each SET value in bytes (redis-benchmark -d).")
    var valueSize: Int = 3

    @Flag(help: "Skip running redis-benchmark.")
    var skipPeer = false

    func validate() throws {
        guard requests > 0, pipeline > 0, clients > 0, connections > 0, valueSize >= 0 else {
            throw ValidationError("--requests, --pipeline, --clients and --connections must be positive")
        }
    }

    func run() async throws {
        var configuration = try redis.configuration()
        configuration.connectionCount = connections
        let client = RedisClient(configuration: configuration)
        defer { Task { await client.close() } }
        let value = String(repeating: "x", count: valueSize)
        try await client.send("PING")

        let roundTripCount = min(requests, 50_000)
        let roundTrips = try await measure(roundTripCount) {
            for index in 0..<roundTripCount {
                try await client.send("SET", "relay-bench:key:\(index % 1000)", value)
            }
        }

        let perClient = max(1, requests / clients)
        let pipelined = try await measure(perClient * clients) {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for task in 0..<clients {
                    group.addTask {
                        var sent = 0
                        while sent < perClient {
                            let batch = (0..<min(pipeline, perClient - sent)).map { offset in
                                RedisCommand("SET", "relay-bench:key:\((task * 7919 + sent + offset) % 1000)", value)
                            }
                            _ = try await client.pipeline(batch)
                            sent += batch.count
                        }
                    }
                }
                try await group.waitForAll()
            }
        }

        let concurrent = try await measure(perClient * clients) {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for task in 0..<clients {
                    group.addTask {
                        for index in 0..<perClient {
                            try await client.send("SET", "relay-bench:key:\((task + index) % 1000)", value)
                        }
                    }
                }
                try await group.waitForAll()
            }
        }
        _ = try await client.send("EVAL", "for _, k in ipairs(redis.call('KEYS', ARGV[1])) do redis.call('DEL', k) end", 0, "relay-bench:*")

        print("Relay Redis client against \(configuration.host):\(configuration.port), \(valueSize)-byte values")
        print(row("relay: round trips, 1 connection, unpipelined", roundTrips))
        print(row("relay: SET pipelined, \(clients) tasks x \(pipeline) per batch, \(connections) conn", pipelined))
        print(row("relay: SET from \(clients) concurrent tasks, no explicit batching", concurrent))

        guard !skipPeer else { return }
        let peer = RedisBenchmarkPeer(configuration: configuration, requests: requests, valueSize: valueSize)
        let peerSingle = try peer.run(pipeline: 1, clients: 1)
        let peerDefault = try peer.run(pipeline: 1, clients: clients)
        let peerPipelined = try peer.run(pipeline: pipeline, clients: clients)
        print(row("redis-benchmark -t set -P 1 -c 1", peerSingle))
        print(row("redis-benchmark -t set -P 1 -c \(clients)", peerDefault))
        print(row("redis-benchmark -t set -P \(pipeline) -c \(clients)", peerPipelined))
        print("ratio round trips / redis-benchmark -P 1 -c 1:           \(ratio(roundTrips, peerSingle))")
        print("ratio concurrent / redis-benchmark -P 1 -c \(clients):          \(ratio(concurrent, peerDefault))")
        print("ratio pipelined / redis-benchmark -P \(pipeline) -c \(clients):        \(ratio(pipelined, peerPipelined))")
    }

    private func measure(_ count: Int, _ body: () async throws -> Void) async throws -> Double {
        let clock = ContinuousClock()
        let elapsed = try await clock.measure { try await body() }
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return Double(count) / seconds
    }

    private func row(_ label: String, _ perSecond: Double) -> String {
        label.padding(toLength: 70, withPad: " ", startingAt: 0) + String(format: "%12.0f ops/s", perSecond)
    }

    private func ratio(_ ours: Double, _ theirs: Double) -> String {
        String(format: "%.2f", ours / theirs)
    }
}
