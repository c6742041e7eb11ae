import BullQueue
import Foundation
@testable import RelayIngress
import RelayJSON
import RelayLedger
import RelayProviders
import RelayRedis
import RelayWorkers
import Testing

@Suite("Submitting requests and following their results")
struct SubmissionTests {
    static let user = Identity(userId: "u1", permissions: ["services:use"])

    static func configuration(queue: String, tokensPerSecond: Int = 0) throws -> WorkersConfiguration {
        let yaml = """
            pools:
              chat: { queue: \(queue), concurrency: 8, kinds: [chat, completion, embedding], timeout: 10000 }
            providers:
              sim: { kind: simulated, tokensPerSecond: \(tokensPerSecond), models: { m: { contextWindow: 100, capabilities: [chat, completion, embedding], price: { input: 1, output: 2 } } } }
            routing:
              m: [sim]
            """
        return try WorkersConfiguration.parse(yaml, file: "test.yml", environment: [:])
    }

    /// A submitter (and, when `workers`, the pools) on a queue of its own, removed afterwards.
    func withRelay(
        tokensPerSecond: Int = 0, workers: Bool = true,
        _ body: (RequestSubmitter, WorkersConfiguration, RedisClient) async throws -> Void
    ) async throws {
        let url = ProcessInfo.processInfo.environment["REDIS_URL"] ?? "redis://127.0.0.1:6379"
        let redis = try RedisClient(url: url)
        let configuration = try Self.configuration(queue: "ingress-\(UUID().uuidString.prefix(8))", tokensPerSecond: tokensPerSecond)
        let submitter = try RequestSubmitter(configuration: configuration, redis: redis, ledger: nil)
        let pools = try WorkerPools(configuration: configuration, redis: redis, httpClient: PoolClient.shared)
        let running = workers ? Task { try await pools.run() } : nil
        do {
            try await body(submitter, configuration, redis)
        } catch {
            pools.shutdown()
            try? await running?.value
            throw error
        }
        pools.shutdown()
        try await running?.value
        try await Queue(name: configuration.pools[0].queue, redis: redis).obliterate(force: true)
        await redis.close()
    }

    static func chat(_ text: String, maxTokens: Int) -> LLMRequest {
        LLMRequest(kind: .chat, model: "m", messages: [ChatMessage(role: "user", content: text)], maxTokens: maxTokens)
    }

    @Test("a request becomes a job whose numbered chunks and done arrive in order, each once")
    func submitAndFollow() async throws {
        try await withRelay { submitter, _, _ in
            let job = try await submitter.submit(Self.chat("hello", maxTokens: 6), identity: Self.user, clientId: "c1")
            var seqs: [Int] = []
            var text = ""
            for try await message in job.messages {
                seqs.append(message.seq)
                text += message.chunkText ?? ""
            }
            #expect(seqs == Array(1...7))
            #expect(text.split(separator: " ").count == 6)
            let again = try await submitter.submit(Self.chat("hello", maxTokens: 6), identity: Self.user).collect()
            #expect(again.text == text && again.usage.completion == 6 && again.finishReason == "length")
        }
    }

    @Test("resume delivers everything after the given sequence number, during and after the job, to its owner only")
    func resume() async throws {
        try await withRelay(tokensPerSecond: 50) { submitter, _, _ in
            let job = try await submitter.submit(Self.chat("resume me", maxTokens: 12), identity: Self.user, clientId: "r1")
            var firstPart: [JobMessage] = []
            for try await message in job.messages {
                firstPart.append(message)
                if message.seq == 3 { break }
            }
            let resumed = try #require(try await submitter.resume(clientId: "r1", after: 3, identity: Self.user))
            var rest: [JobMessage] = []
            for try await message in resumed.messages { rest.append(message) }
            #expect(rest.map(\.seq) == Array(4...13))
            #expect(rest.last?.kind == .done)
            let whole = try #require(try await submitter.resume(clientId: "r1", after: 0, identity: Self.user))
            let collected = try await whole.collect()
            #expect(collected.text == (firstPart + rest).compactMap(\.chunkText).joined())
            let stranger = Identity(userId: "u2", permissions: ["services:use"])
            #expect(try await submitter.resume(clientId: "r1", after: 0, identity: stranger) == nil)
        }
    }

    @Test("a resume in another ingress process routes the job's messages there; the first follower still finishes", .timeLimit(.minutes(1)))
    func resumeElsewhere() async throws {
        try await withRelay(tokensPerSecond: 40) { submitter, configuration, redis in
            let url = ProcessInfo.processInfo.environment["REDIS_URL"] ?? "redis://127.0.0.1:6379"
            let otherRedis = try RedisClient(url: url)
            let other = try RequestSubmitter(configuration: configuration, redis: otherRedis, ledger: nil)
            await other.prepare()
            let job = try await submitter.submit(Self.chat("two followers", maxTokens: 20), identity: Self.user, clientId: "x1")
            let stream = JobStream(redis: redis, queue: job.queue.name, jobId: job.jobId)
            #expect(try await redis.send("GET", stream.routeKey).isNull)
            let first = Task {
                var seqs: [Int] = []
                for try await message in job.messages { seqs.append(message.seq) }
                return seqs
            }
            // What the worker publishes after the resume goes to the other process's channel, addressed to the job.
            let tap = try await redis.subscribe(to: [other.replies.name])
            var resumed = try #require(try await other.resume(clientId: "x1", after: 0, identity: Self.user)).messages.makeAsyncIterator()
            let firstSeen = try #require(try await resumed.next())
            #expect(try await redis.send("GET", stream.routeKey).string == other.replies.name)
            var seqs = [firstSeen.seq]
            while let message = try await resumed.next() { seqs.append(message.seq) }
            #expect(seqs == Array(1...21))
            #expect(try await first.value == Array(1...21))
            var tapped = tap.makeAsyncIterator()
            #expect(try await tapped.next()?.text.hasPrefix(stream.channel + "\n") == true)
            tap.unsubscribe()
            await otherRedis.close()
        }
    }

    @Test("without a ledger the rate limit is checked in the add's script call: a refused request adds no job")
    func rateLimitInTheAdd() async throws {
        try await withRelay(workers: false) { _, configuration, redis in
            let limiter = RateLimiter(redis: redis, defaults: .init(rpm: 2), prefix: "rl-\(UUID().uuidString.prefix(8))")
            let submitter = try RequestSubmitter(configuration: configuration, redis: redis, ledger: nil, limiter: limiter)
            let user = Identity(userId: "limited-\(UUID().uuidString.prefix(6))", permissions: ["services:use"])
            let admitted = try await submitter.submit(Self.chat("x", maxTokens: 1), identity: user, clientId: "first")
            _ = try await submitter.submit(Self.chat("x", maxTokens: 1), identity: user)
            // The resume record was written by the add's script call, after the rate limit's keys.
            let resumed = try await submitter.resume(clientId: "first", after: 0, identity: user)
            #expect(resumed?.jobId == admitted.jobId)
            await #expect {
                _ = try await submitter.submit(Self.chat("x", maxTokens: 1), identity: user, clientId: "third")
            } throws: { error in
                let error = error as? IngressError
                return error?.code == .rateLimitExceeded && (error?.retryAfter ?? 0) >= 1
            }
            let stats = try await Queue(name: configuration.pools[0].queue, redis: redis).groupStats(group: user.userId)
            #expect(stats.queued == 2)
            // The refused request left no resume record; another user is not limited by this one.
            #expect(try await submitter.resume(clientId: "third", after: 0, identity: user) == nil)
            _ = try await submitter.submit(Self.chat("x", maxTokens: 1), identity: Self.user)
        }
    }

    @Test("cancelling a job that has not started ends its stream with CANCELLED")
    func cancelBeforeStart() async throws {
        try await withRelay(workers: false) { submitter, _, _ in
            let job = try await submitter.submit(Self.chat("never", maxTokens: 3), identity: Self.user, clientId: "x")
            #expect(try await submitter.cancel(clientId: "x", identity: Self.user))
            await #expect {
                _ = try await job.collect()
            } throws: { error in
                (error as? IngressError)?.code == .cancelled
            }
            #expect(try await submitter.cancel(clientId: "nope", identity: Self.user) == false)
        }
    }

    @Test("cancelling a running job stops it; the stream ends with CANCELLED")
    func cancelRunning() async throws {
        try await withRelay(tokensPerSecond: 20) { submitter, _, _ in
            let job = try await submitter.submit(Self.chat("slow", maxTokens: 200), identity: Self.user, clientId: "run")
            var codes: [String] = []
            for try await message in job.messages {
                if message.seq == 2 { try await submitter.cancel(jobId: job.jobId, queue: job.queue, userId: "u1") }
                if message.kind == .error { codes.append(message.error.code.rawValue) }
                #expect(message.kind != .done)
            }
            #expect(codes == ["CANCELLED"])
        }
    }

    @Test("messages missed by pub/sub are read from the kept log; a job gone without a result ends the stream")
    func gapsAndLostJobs() async throws {
        try await withRelay(workers: false) { submitter, configuration, redis in
            let queue = try Queue(name: configuration.pools[0].queue, redis: redis)
            let id = "gap-\(UUID().uuidString.prefix(6))"
            _ = try await queue.add("chat", data: ["userId": "u1"], options: JobOptions(jobId: id))
            let stream = JobStream(redis: redis, queue: queue.name, jobId: id)
            var follower = ResultFollower(stream: stream, queue: queue, jobId: id, replies: submitter.replies)
            follower.quietCheck = .milliseconds(100)
            let messages = follower.follow(after: 0, subscription: nil)
            // Seq 1 only in the log (as if published while nobody listened), then 2 and 3 live.
            let first: JSONValue = ["seq": 1, "type": "chunk", "data": "a"]
            _ = try await redis.send("RPUSH", stream.logKey, first.json)
            try await Task.sleep(for: .milliseconds(50))
            try await stream.publish(["seq": 2, "type": "chunk", "data": "b"])
            try await stream.publish(["seq": 3, "type": "done", "usage": ["promptTokens": 1, "completionTokens": 2]])
            var texts: [String] = []
            for try await message in messages { texts.append(message.chunkText ?? message.kind.rawValue) }
            #expect(texts == ["a", "b", "done"])

            let lost = "lost-\(UUID().uuidString.prefix(6))"
            _ = try await queue.add("chat", data: ["userId": "u1"], options: JobOptions(jobId: lost))
            var lostFollower = ResultFollower(
                stream: JobStream(redis: redis, queue: queue.name, jobId: lost), queue: queue, jobId: lost, replies: submitter.replies
            )
            lostFollower.quietCheck = .milliseconds(50)
            let lostMessages = lostFollower.follow(after: 0, subscription: nil)
            _ = try await queue.remove(jobId: lost)
            await #expect {
                for try await _ in lostMessages {}
            } throws: { error in
                (error as? IngressError)?.code == .internal
            }
        }
    }

    @Test("unknown models are MODEL_NOT_FOUND; a token without services:use is FORBIDDEN")
    func refusals() async throws {
        try await withRelay(workers: false) { submitter, _, _ in
            await #expect {
                _ = try await submitter.submit(LLMRequest(kind: .chat, model: "nope", messages: []), identity: Self.user)
            } throws: { ($0 as? IngressError)?.code == .modelNotFound }
            await #expect {
                _ = try await submitter.submit(Self.chat("x", maxTokens: 1), identity: Identity(userId: "u"))
            } throws: { ($0 as? IngressError)?.code == .forbidden }
        }
    }

    @Test("the credit estimate covers the prompt and maxTokens at the dearest price of the chain")
    func estimate() throws {
        let configuration = try Self.configuration(queue: "q")
        let request = Self.chat(String(repeating: "a", count: 400), maxTokens: 500)
        // 100 prompt tokens × 1 + 500 completion tokens × 2, per 1,000 tokens.
        #expect(CreditEstimate.reserve(for: request, chain: ["sim"], configuration: configuration).micros == 1_100_000)
    }
}
