import RelayRedis
import Testing

@Suite("Errors")
struct ErrorTests {
    @Test("server errors are thrown with the server's message, and the connection stays usable")
    func serverErrors() async throws {
        let key = TestRedis.prefix() + "list"
        try await TestRedis.client(connections: 1).using { redis in
            try await redis.send("RPUSH", key, "a")
            let wrongType = await #expect(throws: RedisServerError.self) { try await redis.send("INCR", key) }
            #expect(wrongType?.code == "WRONGTYPE")
            #expect(wrongType?.message.contains("wrong kind of value") == true)

            let unknown = await #expect(throws: RedisServerError.self) { try await redis.send("NOSUCHCOMMAND", "x") }
            #expect(unknown?.code == "ERR")
            #expect(unknown?.message.contains("unknown command") == true)

            let arity = await #expect(throws: RedisServerError.self) { try await redis.send("GET") }
            #expect(arity?.message.contains("wrong number of arguments") == true)

            #expect(try await redis.send("LPOP", key).string == "a")
        }
    }

    @Test("a server that is not there is a connectionFailed error, not a crash")
    func connectionRefused() async throws {
        let server = try RedisServerProcess()
        var configuration = try RedisConfiguration(url: server.url)
        configuration.reconnect = RedisReconnectPolicy(initialDelay: .milliseconds(5), attemptsPerCommand: 2)
        let redis = RedisClient(configuration: configuration)
        let error = await #expect(throws: RedisClientError.self) { try await redis.send("PING") }
        #expect(error?.code == .connectionFailed)
        await redis.close()
    }

    @Test("commands after close fail with clientClosed")
    func closedClient() async throws {
        let redis = try TestRedis.client()
        #expect(try await redis.send("PING") == .simpleString("PONG"))
        await redis.close()
        let error = await #expect(throws: RedisClientError.self) { try await redis.send("PING") }
        #expect(error?.code == .clientClosed)
    }
}
