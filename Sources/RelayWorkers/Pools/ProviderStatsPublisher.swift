import Foundation
import RelayProviders
import RelayRedis

/// Publishes this process's provider figures (requests in flight, latency to the first event) every couple of
/// seconds, so `GET /api/providers` on any ingress can sum them over every worker process.
///
/// Each provider has a hash `relay:provider-stats:<provider>` whose fields are worker instances, each value
/// `<in flight> <latency ms or -> <unix ms>`; entries older than ``staleAfter`` are ignored and removed.
public struct ProviderStatsPublisher: Sendable {
    public let redis: RedisClient
    public let load: ProviderLoad
    public let instance: String
    public static let interval: Duration = .seconds(2)
    public static let staleAfter = 10_000

    public init(redis: RedisClient, load: ProviderLoad, instance: String = "\(ProcessInfo.processInfo.hostName):\(getpid()):\(UUID().uuidString.prefix(6))") {
        self.redis = redis
        self.load = load
        self.instance = instance
    }

    static func key(_ provider: String) -> String { "relay:provider-stats:\(provider)" }

    /// Publishes until cancelled.
    public func run() async {
        while !Task.isCancelled {
            let now = Int(Date().timeIntervalSince1970 * 1000)
            let commands = load.all.flatMap { provider, figures in
                [
                    RedisCommand(
                        "HSET", Self.key(provider), instance,
                        "\(figures.inFlight) \(figures.latencyMs.map { String(format: "%.2f", $0) } ?? "-") \(now)"
                    ),
                    RedisCommand("PEXPIRE", Self.key(provider), Self.staleAfter * 6),
                ]
            }
            if !commands.isEmpty { _ = try? await redis.pipeline(commands) }
            try? await Task.sleep(for: Self.interval)
        }
    }

    /// Every fresh instance's figures for a provider, summed (in flight) and averaged (latency).
    public static func read(_ provider: String, redis: RedisClient) async throws -> ProviderLoad.Figures {
        let now = Int(Date().timeIntervalSince1970 * 1000)
        let values = try await redis.send("HGETALL", key(provider)).array?.compactMap(\.string) ?? []
        var inFlight = 0
        var latencies: [Double] = []
        var stale: [String] = []
        for index in stride(from: 0, to: values.count - 1, by: 2) {
            let parts = values[index + 1].split(separator: " ")
            guard parts.count == 3, let at = Int(parts[2]), now - at < staleAfter else {
                stale.append(values[index])
                continue
            }
            inFlight += Int(parts[0]) ?? 0
            if let latency = Double(parts[1]) { latencies.append(latency) }
        }
        if !stale.isEmpty { _ = try? await redis.send(RedisCommand("HDEL", arguments: [key(provider)] + stale)) }
        return ProviderLoad.Figures(
            inFlight: inFlight, latencyMs: latencies.isEmpty ? nil : latencies.reduce(0, +) / Double(latencies.count)
        )
    }
}
