import NIOCore
import RelayRedis
import Testing

@Suite("Pipelining")
struct PipeliningTests {
    @Test("10,000 commands from 100 concurrent tasks get their own replies, in order")
    func concurrentCommandsOnOneConnection() async throws {
        let prefix = TestRedis.prefix()
        try await TestRedis.client(connections: 1).using { redis in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for task in 0..<100 {
                    group.addTask {
                        for step in 1...100 {
                            let echoed = try await redis.send("ECHO", "task \(task) step \(step)")
                            #expect(echoed.string == "task \(task) step \(step)")
                            let counter = try await redis.send("INCR", "\(prefix)\(task)")
                            #expect(counter.int == step)
                        }
                    }
                }
                try await group.waitForAll()
            }
            let keys = (0..<100).map { "\(prefix)\($0)" }
            #expect(try await redis.send(RedisCommand("DEL", arguments: keys)).int == 100)
        }
    }

    @Test("a pipeline returns one reply per command, error replies in place")
    func pipelineKeepsOrderAndErrors() async throws {
        let prefix = TestRedis.prefix()
        try await TestRedis.client().using { redis in
            let replies = try await redis.pipeline([
                RedisCommand("SET", "\(prefix)a", "1"),
                RedisCommand("INCRBY", "\(prefix)a", 41),
                RedisCommand("LPUSH", "\(prefix)a", "x"),
                RedisCommand("GET", "\(prefix)a"),
                RedisCommand("GET", "\(prefix)missing"),
                RedisCommand("DEL", "\(prefix)a"),
            ])
            #expect(replies.count == 6)
            #expect(replies[0] == .simpleString("OK"))
            #expect(replies[1] == .integer(42))
            #expect(replies[2].error?.code == "WRONGTYPE")
            #expect(replies[3].string == "42")
            #expect(replies[4].isNull)
            #expect(replies[5] == .integer(1))
        }
    }

    @Test("a batch of 1,000 pipelines from 50 tasks on two connections")
    func manyPipelines() async throws {
        let prefix = TestRedis.prefix()
        try await TestRedis.client(connections: 2).using { redis in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for task in 0..<50 {
                    group.addTask {
                        for batch in 0..<20 {
                            let commands = (0..<16).map { RedisCommand("ECHO", "\(task)/\(batch)/\($0)") }
                            let replies = try await redis.pipeline(commands)
                            #expect(replies.map(\.string) == (0..<16).map { "\(task)/\(batch)/\($0)" })
                        }
                    }
                }
                try await group.waitForAll()
            }
            #expect(try await redis.send("EXISTS", "\(prefix)none").int == 0)
        }
    }
}
