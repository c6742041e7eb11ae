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

    @Test("a job's messages go to its reply channel, addressed to it; a route takes over; without either, its own channel")
    func routed() async throws {
        let url = ProcessInfo.processInfo.environment["REDIS_URL"] ?? "redis://127.0.0.1:6379"
        let redis = try RedisClient(url: url)
        let queue = "routed-\(UUID().uuidString.prefix(8))"
        let added = "replies-\(UUID().uuidString.prefix(8))"
        let resumed = "replies-\(UUID().uuidString.prefix(8))"
        let stream = JobStream(redis: redis, queue: queue, jobId: "j1", replyTo: added, retention: 60_000)
        let own = try await redis.subscribe(to: [stream.channel])
        let first = try await redis.subscribe(to: added, address: stream.channel)
        let second = try await redis.subscribe(to: resumed, address: stream.channel)
        try await stream.publish(["seq": 1, "type": "chunk", "data": "a"])
        var firstIterator = first.makeAsyncIterator()
        #expect(try await firstIterator.next()?.text == #"{"data":"a","seq":1,"type":"chunk"}"#)
        _ = try await redis.send("SET", stream.routeKey, resumed, "EX", 60)
        try await stream.publish(["seq": 2, "type": "chunk", "data": "b"])
        var secondIterator = second.makeAsyncIterator()
        #expect(try await secondIterator.next()?.text == #"{"data":"b","seq":2,"type":"chunk"}"#)
        // Without a route or a reply channel (a job BullMQ added), the job's own channel.
        let plain = JobStream(redis: redis, queue: queue, jobId: "j1", retention: 60_000)
        _ = try await redis.send("DEL", stream.routeKey)
        try await plain.publish(["seq": 3, "type": "done"])
        var ownIterator = own.makeAsyncIterator()
        #expect(try await ownIterator.next()?.text == #"{"seq":3,"type":"done"}"#)
        #expect(try await stream.messages(after: 0).count == 3)
        _ = try await redis.send("DEL", stream.logKey)
        await redis.close()
    }
}
