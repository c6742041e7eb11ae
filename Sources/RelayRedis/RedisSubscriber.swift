import Logging
import NIOCore
import Synchronization

/// Pub/sub over one dedicated connection, shared by every subscription of a client.
///
/// After the connection is lost it reconnects with backoff and subscribes again to every channel and pattern.
final class RedisSubscriber: Sendable {
    typealias Continuation = AsyncThrowingStream<RedisPubSubMessage, any Error>.Continuation

    private enum Kind: String, Sendable {
        case channel = "subscribe"
        case pattern = "psubscribe"
    }

    private struct Target: Hashable, Sendable {
        var kind: Kind
        var name: String
    }

    private struct State: Sendable {
        var connection: RedisConnection?
        var connecting = false
        var closed = false
        var members: [Target: RedisSubscriberMembers] = [:]
        /// The targets of each subscription (and its address), so that ending one touches only its own.
        var memberships: [UInt64: Membership] = [:]
        var confirmations: [Target: [EventLoopPromise<Void>]] = [:]
        /// Targets whose SUBSCRIBE was lost with a connection and is not confirmed again yet: a subscription to
        /// one waits, as for a new target, so that it has missed nothing once it is returned.
        var unconfirmed: Set<Target> = []
        /// Subscriptions with a heartbeat, and when each last got something.
        var heartbeats: [UInt64: Heartbeat] = [:]
        var heartbeatTask: RepeatedTask?
        var nextID: UInt64 = 0
    }

    /// How a subscription listens on its targets.
    private enum Role: Sendable {
        case all
        case address(String)
        case hold
    }

    private struct Membership: Sendable {
        var targets: [Target]
        var address: String?
    }

    private struct Heartbeat: Sendable {
        var interval: TimeAmount
        var last: NIODeadline
        var continuation: Continuation
    }

    /// How often subscriptions with a heartbeat are looked at.
    private static let heartbeatResolution = TimeAmount.milliseconds(100)

    private let state = Mutex(State())
    private let configuration: RedisConfiguration
    private let eventLoop: any EventLoop
    private let logger: Logger

    init(configuration: RedisConfiguration, eventLoop: any EventLoop, logger: Logger) {
        self.configuration = configuration
        self.eventLoop = eventLoop
        self.logger = logger
    }

    func subscribe(channels: [String], heartbeat: Duration? = nil) async throws -> RedisSubscription {
        try await subscribe(channels.map { Target(kind: .channel, name: $0) }, role: .all, heartbeat: heartbeat)
    }

    func subscribe(patterns: [String]) async throws -> RedisSubscription {
        try await subscribe(patterns.map { Target(kind: .pattern, name: $0) }, role: .all)
    }

    func subscribe(channel: String, address: String, heartbeat: Duration? = nil) async throws -> RedisSubscription {
        try await subscribe([Target(kind: .channel, name: channel)], role: .address(address), heartbeat: heartbeat)
    }

    func hold(channel: String) async throws -> RedisSubscription {
        try await subscribe([Target(kind: .channel, name: channel)], role: .hold)
    }

    private func subscribe(_ targets: [Target], role: Role, heartbeat: Duration? = nil) async throws -> RedisSubscription {
        let (stream, continuation) = AsyncThrowingStream.makeStream(
            of: RedisPubSubMessage.self,
            throwing: (any Error).self,
            bufferingPolicy: .unbounded
        )
        let registration = state.withLock { state -> (id: UInt64, waits: [EventLoopFuture<Void>], connect: Bool)? in
            guard !state.closed else { return nil }
            let id = state.nextID
            state.nextID += 1
            var waits: [EventLoopFuture<Void>] = []
            var fresh: [Target] = []
            var address: String?
            if case .address(let value) = role { address = value }
            state.memberships[id] = Membership(targets: Array(Set(targets)), address: address)
            if let heartbeat {
                state.heartbeats[id] = Heartbeat(interval: TimeAmount(heartbeat), last: .now(), continuation: continuation)
                if state.heartbeatTask == nil {
                    state.heartbeatTask = eventLoop.scheduleRepeatedTask(
                        initialDelay: Self.heartbeatResolution, delay: Self.heartbeatResolution
                    ) { [weak self] _ in self?.beat() }
                }
            }
            for target in Set(targets) {
                var members = state.members[target] ?? RedisSubscriberMembers()
                let isFresh = members.isEmpty
                if isFresh { fresh.append(target) }
                switch role {
                case .all: members.all[id] = continuation
                case .address(let address): members.addressed[address, default: [:]][id] = continuation
                case .hold: members.holders[id] = continuation
                }
                state.members[target] = members
                // A new target, or one whose SUBSCRIBE is still unconfirmed, is ready only once Redis confirms it.
                if isFresh || state.confirmations[target] != nil || state.unconfirmed.contains(target) {
                    let promise = eventLoop.makePromise(of: Void.self)
                    state.confirmations[target, default: []].append(promise)
                    waits.append(promise.futureResult)
                }
            }
            if let connection = state.connection {
                connection.sendWithoutReply(Self.commands(for: fresh))
                return (id, waits, false)
            }
            // Without a connection, the connection loop subscribes to every target once it is connected.
            let connect = !state.connecting
            state.connecting = true
            return (id, waits, connect)
        }
        guard let (id, waits, startConnecting) = registration else {
            throw RedisClientError(.clientClosed, "the Redis client was closed")
        }
        continuation.onTermination = { [weak self] _ in self?.remove(id) }
        if startConnecting { startConnectionLoop() }
        do {
            for wait in waits { try await wait.get() }
        } catch {
            continuation.finish(throwing: error)
            throw error
        }
        return RedisSubscription(stream: stream, continuation: continuation)
    }

    private static func commands(for targets: [Target]) -> [RedisCommand] {
        let channels = targets.filter { $0.kind == .channel }.map(\.name)
        let patterns = targets.filter { $0.kind == .pattern }.map(\.name)
        var commands: [RedisCommand] = []
        if !channels.isEmpty { commands.append(RedisCommand("SUBSCRIBE", arguments: channels)) }
        if !patterns.isEmpty { commands.append(RedisCommand("PSUBSCRIBE", arguments: patterns)) }
        return commands
    }

    private func remove(_ id: UInt64) {
        state.withLock { state in
            var emptied: [Target] = []
            state.heartbeats[id] = nil
            guard let membership = state.memberships.removeValue(forKey: id) else { return }
            for target in membership.targets {
                state.members[target]?.remove(id, address: membership.address)
                if state.members[target]?.isEmpty == true {
                    state.members[target] = nil
                    state.unconfirmed.remove(target)
                    emptied.append(target)
                }
            }
            guard let connection = state.connection, !emptied.isEmpty else { return }
            let channels = emptied.filter { $0.kind == .channel }.map(\.name)
            let patterns = emptied.filter { $0.kind == .pattern }.map(\.name)
            var commands: [RedisCommand] = []
            if !channels.isEmpty { commands.append(RedisCommand("UNSUBSCRIBE", arguments: channels)) }
            if !patterns.isEmpty { commands.append(RedisCommand("PUNSUBSCRIBE", arguments: patterns)) }
            connection.sendWithoutReply(commands)
        }
    }

    private func startConnectionLoop() {
        Task { await self.connectUntilSubscribed() }
    }

    private func connectUntilSubscribed() async {
        var failures = 0
        while true {
            let shouldStop = state.withLock { state in
                if state.closed || state.members.isEmpty {
                    state.connecting = false
                    return true
                }
                return false
            }
            if shouldStop { return }
            do {
                let connection = try await RedisConnection.connect(
                    configuration,
                    on: eventLoop,
                    onPush: { [weak self] value in self?.receive(value) }
                )
                let accepted = state.withLock { state -> Bool in
                    state.connecting = false
                    guard !state.closed else { return false }
                    state.connection = connection
                    connection.sendWithoutReply(Self.commands(for: Array(state.members.keys)))
                    return true
                }
                guard accepted else {
                    await connection.close()
                    return
                }
                if failures > 0 {
                    logger.info("pub/sub reconnected to Redis", metadata: ["redis": "\(configuration)"])
                }
                connection.channel.closeFuture.whenComplete { [weak self] _ in self?.connectionClosed(connection) }
                return
            } catch {
                failures += 1
                logger.debug("pub/sub connection attempt failed", metadata: ["error": "\(error)"])
                try? await Task.sleep(for: configuration.reconnect.delay(afterFailures: failures))
            }
        }
    }

    private func connectionClosed(_ connection: RedisConnection) {
        let reconnect = state.withLock { state -> Bool in
            guard state.connection === connection else { return false }
            state.connection = nil
            state.unconfirmed = Set(state.members.keys)
            guard !state.closed, !state.members.isEmpty, !state.connecting else { return false }
            state.connecting = true
            return true
        }
        if reconnect {
            logger.warning("pub/sub connection to Redis lost; reconnecting", metadata: ["redis": "\(configuration)"])
            startConnectionLoop()
        }
    }

    private func receive(_ value: RedisValue) {
        guard let parts = value.array, let kind = parts.first?.string else {
            if let error = value.error { failConfirmations(error) }
            return
        }
        switch (kind, parts.count) {
        case ("message", 3):
            guard let channel = parts[1].string, let payload = parts[2].buffer else { return }
            deliver(RedisPubSubMessage(channel: channel, pattern: nil, payload: payload), to: Target(kind: .channel, name: channel))
        case ("pmessage", 4):
            guard let pattern = parts[1].string, let channel = parts[2].string, let payload = parts[3].buffer else { return }
            deliver(RedisPubSubMessage(channel: channel, pattern: pattern, payload: payload), to: Target(kind: .pattern, name: pattern))
        case ("subscribe", 3), ("psubscribe", 3):
            guard let name = parts[1].string, let kind = Kind(rawValue: kind) else { return }
            let target = Target(kind: kind, name: name)
            let promises = state.withLock { state in
                state.unconfirmed.remove(target)
                return state.confirmations.removeValue(forKey: target) ?? []
            }
            for promise in promises { promise.succeed() }
        default:
            break
        }
    }

    /// Gives the message to the target's plain subscriptions, and to those of the address it begins with (its
    /// first line) without that line.
    private func deliver(_ message: RedisPubSubMessage, to target: Target) {
        let deliveries = state.withLock { state -> [(RedisPubSubMessage, [UInt64: Continuation])] in
            guard let deliveries = state.members[target]?.deliveries(of: message) else { return [] }
            if !state.heartbeats.isEmpty {
                let now = NIODeadline.now()
                for (_, listeners) in deliveries {
                    for id in listeners.keys where state.heartbeats[id] != nil { state.heartbeats[id]!.last = now }
                }
            }
            return deliveries
        }
        for (message, listeners) in deliveries {
            for listener in listeners.values { listener.yield(message) }
        }
    }

    /// Gives each subscription with a heartbeat that has been quiet for its interval an empty message.
    private func beat() {
        let quiet = state.withLock { state -> [Continuation] in
            let now = NIODeadline.now()
            var quiet: [Continuation] = []
            for (id, heartbeat) in state.heartbeats where now - heartbeat.last >= heartbeat.interval {
                state.heartbeats[id]!.last = now
                quiet.append(heartbeat.continuation)
            }
            return quiet
        }
        let message = RedisPubSubMessage(channel: "", pattern: nil, payload: ByteBuffer(), isHeartbeat: true)
        for continuation in quiet { continuation.yield(message) }
    }

    private func failConfirmations(_ error: RedisServerError) {
        let promises = state.withLock { state in
            defer { state.confirmations.removeAll() }
            return state.confirmations.values.flatMap { $0 }
        }
        for promise in promises { promise.fail(error) }
    }

    func close() async {
        let (connection, listeners, promises) = state.withLock { state in
            state.closed = true
            state.heartbeatTask?.cancel()
            defer {
                state.heartbeatTask = nil
                state.heartbeats.removeAll()
                state.connection = nil
                state.members.removeAll()
                state.memberships.removeAll()
                state.confirmations.removeAll()
            }
            return (state.connection, state.members.values.flatMap(\.continuations), state.confirmations.values.flatMap { $0 })
        }
        let error = RedisClientError(.clientClosed, "the Redis client was closed")
        for promise in promises { promise.fail(error) }
        for listener in listeners { listener.finish(throwing: error) }
        await connection?.close()
    }
}
