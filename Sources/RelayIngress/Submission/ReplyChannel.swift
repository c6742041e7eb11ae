import BullQueue
import Foundation
import RelayRedis
import RelayWorkers
import Synchronization

/// The pub/sub channel this ingress process follows its jobs on: a job carries it in its data (`replyTo`), or its
/// route names it after a resume, so its worker publishes the job's messages there, addressed to the job
/// (``JobStream``). One subscription serves every job the process follows, so following a new job costs Redis no
/// command and the request no round trip.
final class ReplyChannel: Sendable {
    let redis: RedisClient
    /// `relay:replies:<a random id>`, unique to the process.
    let name: String
    /// How long a route (``route(_:)``) and a request record live, in seconds.
    let retention: Int
    private let held = Mutex<RedisSubscription?>(nil)

    init(redis: RedisClient, prefix: String = "relay", retention: Int = 3600) {
        self.redis = redis
        self.name = "\(prefix):replies:\(UUID().uuidString.lowercased())"
        self.retention = retention
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
        _ = try await redis.send("SET", stream.routeKey, name, "EX", retention)
    }

    /// Records the client's request id (`recordKey`, holding `record`) for resume, in the script call that adds
    /// the job.
    func recording(_ recordKey: String, record: String) -> AddPrelude {
        AddPrelude(name: Self.script.name, source: Self.script.source, keys: [recordKey], arguments: [record, retention])
    }

    private static let script: RedisScript = {
        guard let url = Bundle.module.url(forResource: "recordRequest", withExtension: "lua", subdirectory: "Scripts"),
            let source = try? String(contentsOf: url, encoding: .utf8)
        else { fatalError("RelayIngress's recordRequest.lua is missing from the package resources") }
        return RedisScript(name: "recordRequest", source: source)
    }()
}
