import RelayRedis
import Testing

@Suite("Lua scripts")
struct ScriptTests {
    static let incrementBy = RedisScript(
        name: "incrementBy",
        source: """
            -- KEYS[1] counter; ARGV[1] step
            return redis.call('INCRBY', KEYS[1], ARGV[1])
            """
    )

    @Test("a script runs by SHA and is loaded again after the server forgot it (NOSCRIPT)")
    func noscriptReload() async throws {
        let key = TestRedis.prefix() + "counter"
        try await TestRedis.client().using { redis in
            #expect(try await redis.evaluate(Self.incrementBy, keys: [key], arguments: [5]).int == 5)
            let sha = try await redis.load(Self.incrementBy)
            try await redis.send("SCRIPT", "FLUSH")
            #expect(try await redis.send("SCRIPT", "EXISTS", sha).array?.first?.int == 0)
            #expect(try await redis.evaluate(Self.incrementBy, keys: [key], arguments: [3]).int == 8)
            #expect(try await redis.send("SCRIPT", "EXISTS", sha).array?.first?.int == 1)
            try await redis.send("DEL", key)
        }
    }

    @Test("an error raised by a script is thrown with the script's message")
    func scriptError() async throws {
        let failing = RedisScript(name: "failing", source: "return redis.error_reply('BADINPUT the job is gone')")
        try await TestRedis.client().using { redis in
            let error = await #expect(throws: RedisServerError.self) { try await redis.evaluate(failing) }
            #expect(error?.code == "BADINPUT")
            #expect(error?.message.contains("the job is gone") == true)
        }
    }

    @Test("MULTI/EXEC runs commands together; a queued syntax error discards the transaction")
    func transactions() async throws {
        let key = TestRedis.prefix() + "tx"
        try await TestRedis.client(connections: 1).using { redis in
            let replies = try await redis.transaction([
                RedisCommand("SET", key, "10"),
                RedisCommand("INCR", key),
                RedisCommand("HSET", key, "f", "v"),
                RedisCommand("GET", key),
            ])
            #expect(replies.count == 4)
            #expect(replies[1] == .integer(11))
            #expect(replies[2].error?.code == "WRONGTYPE")
            #expect(replies[3].string == "11")

            let error = await #expect(throws: RedisServerError.self) {
                try await redis.transaction([RedisCommand("SET", key, "12"), RedisCommand("GET")])
            }
            #expect(error?.code == "EXECABORT")
            #expect(try await redis.send("GET", key).string == "11")
            try await redis.send("DEL", key)
        }
    }
}
