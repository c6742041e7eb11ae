import BullQueue
import Foundation
import RelayRedis
import RelayWorkers
import Synchronization

/// The pub/sub channel this ingress process follows its jobs on: a job's route names it, so its worker publishes
/// the job's messages there, addressed to the job (``JobStream``). One subscription serves every job the process
/// follows, so following a new job costs Redis no command and the request no round trip.
final class ReplyChannel: Sendable {
    let redis: RedisClient
    /// `relay:replies:<a random id>`, unique to the process.
    let name: String
    /// How long a route lives unless the job's messages keep it (``JobStream``'s retention renews it), in seconds.
    let routeRetention: Int
    private let held = Mutex<RedisSubscription?>(nil)

    init(redis: RedisClient, prefix: String = "relay", routeRetention: Int = 3600) {
        self.redis = redis
        self.name = "\(prefix):replies:\(UUID().uuidString.lowercased())"
        self.routeRetention = routeRetention
    }

    /// Keeps the channel subscribed from now on. Without it the first job followed subscribes, and the channel
    /// stays subscribed while any job is followed.
    func hold() async throws {
        guard held.withLock({ $0 == nil }) else { return }
        let subscription = try await redis.hold(channel: name)
        let kept = held.withLock { held -> Bool in
            guard held == nil else { return false }
            held = subscription
            return true
        }
        if !kept { subscription.unsubscribe() }
    }

    /// Listens for the messages of the job whose stream is `stream`, with a heartbeat after each quiet spell.
    func listen(to stream: JobStream, heartbeat: Duration) async throws -> RedisSubscription {
        try await redis.subscribe(to: name, address: stream.channel, heartbeat: heartbeat)
    }

    /// Routes the job's messages here from now on: a resume, perhaps in another process than the one that added it.
    func route(_ stream: JobStream) async throws {
        _ = try await redis.send("SET", stream.routeKey, name, "EX", routeRetention)
    }

    /// Routes the job's messages here, and records the client's request id (`recordKey`, holding `record`) for
    /// resume, in the script call that adds the job.
    func routing(_ stream: JobStream, recordKey: String?, record: String) -> AddPrelude {
        var keys: [any RedisArgumentConvertible] = [stream.routeKey]
        if let recordKey { keys.append(recordKey) }
        return AddPrelude(
            name: Self.script.name, source: Self.script.source, keys: keys, arguments: [name, record, routeRetention]
        )
    }

    private static let script: RedisScript = {
        guard let url = Bundle.module.url(forResource: "routeJob", withExtension: "lua", subdirectory: "Scripts"),
            let source = try? String(contentsOf: url, encoding: .utf8)
        else { fatalError("RelayIngress's routeJob.lua is missing from the package resources") }
        return RedisScript(name: "routeJob", source: source)
    }()
}
