import RelayRedis
import Testing

@Suite("Blocking commands")
struct BlockingTests {
    @Test("a BZPOPMIN waiting on a dedicated connection does not delay other commands")
    func blockingDoesNotStallOthers() async throws {
        let key = TestRedis.prefix() + "zset"
        try await TestRedis.client(connections: 1).using { redis in
            let popped = Task {
                try await redis.withDedicatedConnection { connection in
                    try await connection.send(RedisCommand("BZPOPMIN", key, 30))
                }
            }
            for index in 0..<1000 {
                #expect(try await redis.send("ECHO", "\(index)").string == "\(index)")
            }
            var waiting = 0
            for _ in 0..<200 where waiting == 0 {
                let clients = try await redis.send("CLIENT", "LIST").string ?? ""
                waiting = clients.split(separator: "\n").filter { $0.contains("cmd=bzpopmin") }.count
                if waiting == 0 { try await Task.sleep(for: .milliseconds(10)) }
            }
            #expect(waiting >= 1)
            try await redis.send("ZADD", key, 7, "member")
            let reply = try await popped.value
            #expect(reply.array?.map(\.string) == [key, "member", "7"])
        }
    }

    @Test("cancelling the task ends a blocking command, and the client keeps working")
    func cancellingBlockingCommand() async throws {
        let key = TestRedis.prefix() + "list"
        try await TestRedis.client().using { redis in
            let blocked = Task {
                try await redis.withDedicatedConnection { connection in
                    try await connection.send(RedisCommand("BLPOP", key, 30))
                }
            }
            try await Task.sleep(for: .milliseconds(100))
            blocked.cancel()
            await #expect(throws: RedisClientError.self) { try await blocked.value }
            try await redis.send("RPUSH", key, "after")
            let reply = try await redis.withDedicatedConnection { connection in
                try await connection.send(RedisCommand("BLPOP", key, 1))
            }
            #expect(reply.array?.last?.string == "after")
        }
    }
}
