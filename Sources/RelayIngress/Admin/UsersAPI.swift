import BullQueue
import Hummingbird
import RelayJSON

/// The admin's view of users in the pools: active and queued jobs per user and pool, and per-user concurrency
/// (`GET /api/admin/users`, `GET /api/admin/users/{user}/pools`, `PUT /api/admin/users/{user}/concurrency`).
struct UsersAPI: RelayJSONAPI {
    let queues: [String: Queue]
    let authenticator: Authenticator
    let metrics: IngressMetrics
    var name: String { "accounts" }

    func register(on router: Router<RelayRequestContext>) {
        let admin = router.group("api/admin")
        admin.get("users") { request, _ in
            await handle {
                try await requireAdmin(request)
                var pools: [String: JSONValue] = [:]
                for (pool, queue) in queues {
                    pools[pool] = .array(try await queue.groupStats().map { Self.json($0) })
                }
                return json(["pools": .object(pools)])
            }
        }
        admin.get("users/:user/pools") { request, context in
            await handle {
                let user = try await adminTarget(request, context)
                var pools: [String: JSONValue] = [:]
                for (pool, queue) in queues { pools[pool] = Self.json(try await queue.groupStats(group: user)) }
                return json(["user": .string(user), "pools": .object(pools)])
            }
        }
        admin.put("users/:user/concurrency") { request, context in
            await handle {
                let user = try await adminTarget(request, context)
                let body = try await jsonBody(request, context: context)
                let limit = try RequestParsing.positiveInt(body["concurrency"], field: "concurrency", max: 100_000)
                var chosen = queues
                if let pool = body["pool"]?.stringValue {
                    guard let queue = queues[pool] else { throw IngressError(.notFound, "there is no pool '\(pool)'") }
                    chosen = [pool: queue]
                }
                var pools: [String: JSONValue] = [:]
                for (pool, queue) in chosen {
                    try await queue.setGroupConcurrency(limit, group: user)
                    pools[pool] = Self.json(try await queue.groupStats(group: user))
                }
                return json(["user": .string(user), "pools": .object(pools)])
            }
        }
    }

    static func json(_ stats: GroupStats) -> JSONValue {
        [
            "user": .string(stats.group), "active": .int(stats.active), "queued": .int(stats.queued),
            "concurrency": (stats.override ?? stats.defaultLimit).map(JSONValue.int) ?? .null,
            "override": .bool(stats.override != nil),
        ]
    }
}
