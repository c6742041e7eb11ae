import NIOCore
import RelayRedis
import Testing

@Suite("Pub/sub")
struct PubSubTests {
    @Test("messages published on a channel arrive in order on its subscription")
    func channelDelivery() async throws {
        let channel = TestRedis.prefix() + "events"
        try await TestRedis.client().using { redis in
            let subscription = try await redis.subscribe(to: [channel])
            for index in 0..<100 {
                #expect(try await redis.publish("message \(index)", to: channel) == 1)
            }
            var received: [String] = []
            for try await message in subscription {
                #expect(message.channel == channel)
                #expect(message.pattern == nil)
                received.append(message.text)
                if received.count == 100 { break }
            }
            #expect(received == (0..<100).map { "message \($0)" })
        }
    }

    @Test("a subscription with a heartbeat gets an empty message after each quiet spell, and none while busy")
    func heartbeat() async throws {
        let channel = TestRedis.prefix() + "beats"
        try await TestRedis.client().using { redis in
            let subscription = try await redis.subscribe(to: [channel], heartbeat: .milliseconds(300))
            let plain = try await redis.subscribe(to: [channel])
            var iterator = subscription.makeAsyncIterator()
            let started = ContinuousClock.now
            let beat = try await iterator.next()
            #expect(beat?.isHeartbeat == true)
            #expect(ContinuousClock.now - started >= .milliseconds(250))
            // Messages every 100 ms keep it busy: no heartbeat among them.
            for index in 0..<6 {
                _ = try await redis.publish("m\(index)", to: channel)
                let message = try await iterator.next()
                #expect(message?.isHeartbeat == false)
                #expect(message?.text == "m\(index)")
                try await Task.sleep(for: .milliseconds(100))
            }
            // The subscription without one only ever sees the messages.
            var plainIterator = plain.makeAsyncIterator()
            for index in 0..<6 { #expect(try await plainIterator.next()?.text == "m\(index)") }
        }
    }

    @Test("pattern subscriptions say which pattern matched")
    func patternDelivery() async throws {
        let base = TestRedis.prefix()
        try await TestRedis.client().using { redis in
            let subscription = try await redis.subscribe(toPatterns: ["\(base)job:*"])
            #expect(try await redis.publish("first", to: "\(base)job:1") == 1)
            #expect(try await redis.publish("ignored", to: "\(base)other") == 0)
            #expect(try await redis.publish("second", to: "\(base)job:2") == 1)
            var iterator = subscription.makeAsyncIterator()
            let first = try await iterator.next()
            let second = try await iterator.next()
            #expect(first?.channel == "\(base)job:1")
            #expect(first?.pattern == "\(base)job:*")
            #expect(first?.text == "first")
            #expect(second?.text == "second")
        }
    }

    @Test("two subscriptions to one channel both receive; unsubscribing the last one leaves the channel")
    func sharedChannelAndUnsubscribe() async throws {
        let channel = TestRedis.prefix() + "shared"
        try await TestRedis.client().using { redis in
            let first = try await redis.subscribe(to: [channel])
            let second = try await redis.subscribe(to: [channel])
            #expect(try await redis.publish("hello", to: channel) == 1)
            var firstIterator = first.makeAsyncIterator()
            var secondIterator = second.makeAsyncIterator()
            #expect(try await firstIterator.next()?.text == "hello")
            #expect(try await secondIterator.next()?.text == "hello")
            first.unsubscribe()
            #expect(try await firstIterator.next() == nil)
            second.unsubscribe()
            var subscribers = 1
            for _ in 0..<100 where subscribers > 0 {
                subscribers = try await redis.send("PUBSUB", "NUMSUB", channel).array?[1].int ?? -1
                if subscribers > 0 { try await Task.sleep(for: .milliseconds(10)) }
            }
            #expect(subscribers == 0)
        }
    }

    @Test("binary payloads survive pub/sub")
    func binaryPayload() async throws {
        let channel = TestRedis.prefix() + "binary"
        let payload = (0...255).map { UInt8($0) } + Array("\r\n$-1\r\n".utf8)
        try await TestRedis.client().using { redis in
            let subscription = try await redis.subscribe(to: [channel])
            try await redis.publish(payload, to: channel)
            var iterator = subscription.makeAsyncIterator()
            let message = try await iterator.next()
            #expect(message.map { Array($0.payload.readableBytesView) } == payload)
        }
    }

    @Test("addressed subscriptions share one channel: each gets only its messages, without the address line")
    func addressedDelivery() async throws {
        let channel = TestRedis.prefix() + "replies"
        try await TestRedis.client().using { redis in
            let held = try await redis.hold(channel: channel)
            let first = try await redis.subscribe(to: channel, address: "job-1")
            let second = try await redis.subscribe(to: channel, address: "job-2")
            let plain = try await redis.subscribe(to: [channel])
            // One SUBSCRIBE for all of them: Redis counts one subscriber on the channel.
            #expect(try await redis.publish("job-2\nfor two", to: channel) == 1)
            try await redis.publish("job-1\nfor one\nsecond line", to: channel)
            try await redis.publish("job-3\nfor nobody here", to: channel)
            try await redis.publish("no address line", to: channel)
            var one = first.makeAsyncIterator()
            var two = second.makeAsyncIterator()
            #expect(try await one.next()?.text == "for one\nsecond line")
            #expect(try await two.next()?.text == "for two")
            var all = plain.makeAsyncIterator()
            var seen: [String] = []
            for _ in 0..<4 { seen.append(try await all.next()?.text ?? "") }
            #expect(seen == ["job-2\nfor two", "job-1\nfor one\nsecond line", "job-3\nfor nobody here", "no address line"])
            // Ending one address leaves the others, and the channel stays subscribed while it is held.
            first.unsubscribe()
            plain.unsubscribe()
            let third = try await redis.subscribe(to: channel, address: "job-1")
            try await redis.publish("job-1\nagain", to: channel)
            try await redis.publish("job-2\nstill", to: channel)
            var three = third.makeAsyncIterator()
            #expect(try await three.next()?.text == "again")
            #expect(try await two.next()?.text == "still")
            second.unsubscribe()
            third.unsubscribe()
            #expect(try await redis.publish("job-2\nheld", to: channel) == 1)
            held.unsubscribe()
            try await Task.sleep(for: .milliseconds(100))
            #expect(try await redis.publish("job-2\ngone", to: channel) == 0)
        }
    }

    @Test("an addressed subscription's heartbeat counts only the messages addressed to it")
    func addressedHeartbeat() async throws {
        let channel = TestRedis.prefix() + "quiet"
        try await TestRedis.client().using { redis in
            let quiet = try await redis.subscribe(to: channel, address: "quiet", heartbeat: .milliseconds(300))
            let busy = try await redis.subscribe(to: channel, address: "busy")
            var iterator = quiet.makeAsyncIterator()
            let started = ContinuousClock.now
            for index in 0..<4 {
                try await redis.publish("busy\n\(index)", to: channel)
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(try await iterator.next()?.isHeartbeat == true)
            #expect(ContinuousClock.now - started < .milliseconds(600))
            var busyIterator = busy.makeAsyncIterator()
            #expect(try await busyIterator.next()?.text == "0")
        }
    }
}
