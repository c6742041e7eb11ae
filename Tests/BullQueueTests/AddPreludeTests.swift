import BullQueue
import RelayRedis
import Testing

@Suite("Adding after preludes")
struct AddPreludeTests {
    /// Admits while the counter at KEYS[1] is under ARGV[1], counting each admission.
    static let quota = AddPrelude(
        name: "test-quota",
        source: """
            local used = tonumber(redis.call("GET", KEYS[1]) or "0")
            if used >= tonumber(ARGV[1]) then return {"over", used} end
            redis.call("INCR", KEYS[1])
            """
    )
    /// Records ARGV[1] at KEYS[1]; never refuses.
    static let record = AddPrelude(name: "test-record", source: #"redis.call("SET", KEYS[1], ARGV[1])"#)
    /// Records what it was given at its first key: "keys/arguments" and the last argument.
    static let shape = AddPrelude(
        name: "test-shape", source: #"redis.call("SET", KEYS[1], #KEYS .. "/" .. #ARGV .. " " .. tostring(ARGV[#ARGV]))"#
    )

    @Test("preludes run with their own keys and arguments, in order, in the add's script call")
    func preludesRunWithTheAdd() async throws {
        try await TestQueue.with { t in
            let counter = t.queue.keys.base + "quota"
            let note = t.queue.keys.base + "note"
            var quota = Self.quota
            quota.keys = [counter]
            quota.arguments = [2]
            var record = Self.record
            record.keys = [note]
            for index in 1...2 {
                record.arguments = ["job \(index)"]
                let outcome = try await t.queue.add("chat", data: ["n": .int(index)], after: [quota, record])
                #expect(outcome == .added("\(index)"))
                #expect(try await t.redis.send("GET", note).string == "job \(index)")
            }
            record.arguments = ["job 3"]
            let refused = try await t.queue.add("chat", after: [quota, record])
            guard case .refused(let reply) = refused else { Issue.record("the add was not refused: \(refused)"); return }
            #expect(reply.array?.first?.string == "over")
            #expect(reply.array?.last?.int == 2)
            // Nothing after the refusing prelude ran, and no job was stored.
            #expect(try await t.redis.send("GET", note).string == "job 2")
            #expect(try await t.redis.send("LLEN", t.queue.keys.wait).int == 2)
            #expect(try await t.queue.getJobState("3") == .unknown)
            // The job itself is BullMQ's, with its options.
            let job = try await t.queue.getJob("2")
            #expect(job?.data == ["n": 2])
        }
    }

    @Test("an add with no preludes is a plain add")
    func noPreludes() async throws {
        try await TestQueue.with { t in
            let outcome = try await t.queue.add("chat", options: JobOptions(jobId: "custom"), after: [])
            #expect(outcome == .added("custom"))
            let state = try await t.queue.getJobState("custom")
            #expect(state == .waiting)
        }
    }

    @Test("each prelude sees exactly its own keys and arguments, whatever the others take")
    func unevenShapes() async throws {
        try await TestQueue.with { t in
            let first = t.queue.keys.base + "first"
            let second = t.queue.keys.base + "second"
            var twoKeys = Self.shape
            twoKeys.keys = [first, t.queue.keys.base + "unused"]
            var threeArguments = Self.shape
            threeArguments.keys = [second]
            threeArguments.arguments = ["a", "b", "c"]
            var noArguments = Self.record
            noArguments.keys = [t.queue.keys.base + "third"]
            noArguments.arguments = ["only"]
            let outcome = try await t.queue.add("chat", after: [twoKeys, threeArguments, noArguments])
            #expect(outcome == .added("1"))
            #expect(try await t.redis.send("GET", first).string == "2/0 nil")
            #expect(try await t.redis.send("GET", second).string == "1/3 c")
            #expect(try await t.redis.send("GET", t.queue.keys.base + "third").string == "only")
        }
    }

    @Test("a prelude that returns something other than a table fails the add instead of passing for an id")
    func nonTableRefusal() async throws {
        try await TestQueue.with { t in
            let odd = AddPrelude(name: "test-odd", source: #"return "not a job id""#)
            await #expect(throws: RedisServerError.self) {
                _ = try await t.queue.add("chat", after: [odd])
            }
            let state = try await t.queue.getJobState("1")
            #expect(state == .unknown)
        }
    }
}
