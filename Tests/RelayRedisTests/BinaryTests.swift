import NIOCore
import RelayRedis
import Testing

@Suite("Binary safety and large values")
struct BinaryTests {
    @Test("every byte value, CRLF and RESP markers survive as keys and values")
    func binarySafe() async throws {
        let prefix = TestRedis.prefix()
        let value = (0...255).map { UInt8($0) } + Array("\r\n*1\r\n$3\r\nfoo\r\n\0".utf8)
        let key = Array(prefix.utf8) + [0, 13, 10, 255]
        try await TestRedis.client().using { redis in
            try await redis.send("SET", key, value)
            #expect(try await redis.send("GET", key).bytes == value)
            #expect(try await redis.send("STRLEN", key).int == value.count)
            try await redis.send("SET", key, "")
            #expect(try await redis.send("GET", key).bytes == [])
            try await redis.send("DEL", key)
        }
    }

    @Test("a 10 MB value goes and comes back intact")
    func tenMegabytes() async throws {
        let key = TestRedis.prefix() + "big"
        var value = [UInt8](repeating: 0, count: 10 * 1024 * 1024)
        for index in value.indices { value[index] = UInt8(truncatingIfNeeded: index &* 31 &+ index >> 8) }
        try await TestRedis.client().using { redis in
            try await redis.send("SET", key, value)
            let reply = try await redis.send("GET", key)
            #expect(reply.buffer?.readableBytes == value.count)
            #expect(reply.bytes == value)
            #expect(try await redis.send("STRLEN", key).int == value.count)
            try await redis.send("DEL", key)
        }
    }

    @Test("nested arrays and integers are parsed by hiredis into values")
    func nestedReplies() async throws {
        try await TestRedis.client().using { redis in
            let reply = try await redis.send("EVAL", "return {1, {2, 'two', {}}, 'x', false}", 0)
            #expect(reply == .array([.integer(1), .array([.integer(2), .bulkString(ByteBuffer(string: "two")), .array([])]), .bulkString(ByteBuffer(string: "x")), .null]))
        }
    }
}
