import RelayRedis
import Testing

@Suite("Reconnecting")
struct ReconnectTests {
    @Test("after the server restarts, a command in flight fails clearly, later commands and subscriptions work")
    func serverRestart() async throws {
        let server = try RedisServerProcess()
        try await server.start()
        let redis = try RedisClient(url: server.url)
        #expect(try await redis.send("SET", "before", "1") == .simpleString("OK"))
        let subscription = try await redis.subscribe(to: ["restart-channel"])
        #expect(try await redis.publish("first", to: "restart-channel") == 1)

        let inFlight = Task { try await redis.send("BLPOP", "never", 0) }
        try await Task.sleep(for: .milliseconds(100))
        server.kill()
        let error = await #expect(throws: RedisClientError.self) { try await inFlight.value }
        #expect(error?.code == .connectionClosed)

        try await server.start()
        #expect(try await redis.send("PING") == .simpleString("PONG"))
        #expect(try await redis.send("GET", "before").isNull)

        var receivers = 0
        for _ in 0..<300 where receivers == 0 {
            receivers = try await redis.publish("second", to: "restart-channel")
            if receivers == 0 { try await Task.sleep(for: .milliseconds(20)) }
        }
        #expect(receivers == 1)
        var iterator = subscription.makeAsyncIterator()
        #expect(try await iterator.next()?.text == "first")
        #expect(try await iterator.next()?.text == "second")
        await redis.close()
        server.kill()
    }

    @Test("while the server is away, a new address on a held channel waits until the channel is subscribed again", .timeLimit(.minutes(1)))
    func addressDuringOutage() async throws {
        let server = try RedisServerProcess()
        try await server.start()
        let redis = try RedisClient(url: server.url)
        let held = try await redis.hold(channel: "replies")
        server.kill()
        try await Task.sleep(for: .milliseconds(100))
        let listening = Task { try await redis.subscribe(to: "replies", address: "job") }
        try await Task.sleep(for: .milliseconds(100))
        try await server.start()
        let listener = try await listening.value
        // Returned only once Redis has the channel again, so nothing published from now on is lost.
        #expect(try await redis.publish("job\nfirst", to: "replies") == 1)
        var iterator = listener.makeAsyncIterator()
        #expect(try await iterator.next()?.text == "first")
        held.unsubscribe()
        await redis.close()
        server.kill()
    }

    @Test("AUTH with user and password, and SELECT, come from the URL and are redone on reconnect")
    func authAndDatabase() async throws {
        let server = try RedisServerProcess(arguments: [
            "--user", "relay", "on", ">s3cret", "~*", "&*", "+@all", "--user", "default", "off",
        ])
        try await server.start()
        let redis = try RedisClient(url: "redis://relay:s3cret@127.0.0.1:\(server.port)/3")
        try await redis.send("SET", "in-db-3", "yes")
        #expect(try await redis.send("CLIENT", "INFO").string?.contains("db=3") == true)
        #expect(try await redis.send("ACL", "WHOAMI").string == "relay")

        server.kill()
        try await server.start()
        _ = try? await redis.send("PING")
        #expect(try await redis.send("ACL", "WHOAMI").string == "relay")
        #expect(try await redis.send("CLIENT", "INFO").string?.contains("db=3") == true)

        let wrong = try RedisClient(url: "redis://relay:nope@127.0.0.1:\(server.port)")
        let error = await #expect(throws: RedisServerError.self) { try await wrong.send("PING") }
        #expect(error?.code == "WRONGPASS")
        #expect(error?.description.contains("nope") == false)
        await wrong.close()
        await redis.close()
        server.kill()
    }
}
