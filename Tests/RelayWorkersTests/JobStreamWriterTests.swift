import Foundation
import RelayJSON
import RelayRedis
@testable import RelayWorkers
import Testing

@Suite("Coalesced job streams")
struct JobStreamWriterTests {
    @Test("messages sent faster than Redis answers arrive in order, fewer pub/sub messages than lines, all kept")
    func coalescing() async throws {
        let url = ProcessInfo.processInfo.environment["REDIS_URL"] ?? "redis://127.0.0.1:6379"
        let redis = try RedisClient(url: url)
        let stream = JobStream(redis: redis, queue: "writer-\(UUID().uuidString.prefix(8))", jobId: "j1", retention: 10_000)
        let subscription = try await redis.subscribe(to: [stream.channel])
        let writer = JobStreamWriter(stream: stream)
        for seq in 1...50 { try await writer.send(["seq": .int(seq), "type": "chunk", "data": .string("line \(seq)\nwith a newline")]) }
        try await writer.flush()

        var payloads = 0
        var received: [JSONValue] = []
        for try await message in subscription {
            payloads += 1
            for line in JobStream.messages(inPayload: message.text) { received.append(try JSONValue(json: String(line))) }
            if received.count >= 50 { break }
        }
        #expect(received.map { $0["seq"]?.intValue } == Array(1...50))
        #expect(received.last?["data"]?.stringValue == "line 50\nwith a newline")
        #expect(payloads < 50, "\(payloads) pub/sub messages for 50 lines")
        #expect(try await stream.messages(after: 0) == received)
        #expect(try await stream.messages(after: 48).map { $0["seq"]?.intValue } == [49, 50])
        _ = try await redis.send("DEL", stream.logKey)
        await redis.close()
    }

    @Test("a routed job's messages go to the route's channel, addressed to the job; each publish renews the route")
    func routed() async throws {
        let url = ProcessInfo.processInfo.environment["REDIS_URL"] ?? "redis://127.0.0.1:6379"
        let redis = try RedisClient(url: url)
        let stream = JobStream(redis: redis, queue: "routed-\(UUID().uuidString.prefix(8))", jobId: "j1", retention: 60_000)
        let replies = "replies-\(UUID().uuidString.prefix(8))"
        let own = try await redis.subscribe(to: [stream.channel])
        let routed = try await redis.subscribe(to: replies, address: stream.channel)
        _ = try await redis.send("SET", stream.routeKey, replies, "EX", 5)
        try await stream.publish(["seq": 1, "type": "chunk", "data": "a"])
        var iterator = routed.makeAsyncIterator()
        #expect(try await iterator.next()?.text == #"{"data":"a","seq":1,"type":"chunk"}"#)
        #expect(try await redis.send("PTTL", stream.routeKey).int ?? 0 > 5_000)
        // Without a route, the job's own channel.
        _ = try await redis.send("DEL", stream.routeKey)
        try await stream.publish(["seq": 2, "type": "done"])
        var ownIterator = own.makeAsyncIterator()
        #expect(try await ownIterator.next()?.text == #"{"seq":2,"type":"done"}"#)
        _ = try await redis.send("DEL", stream.logKey)
        await redis.close()
    }
}
