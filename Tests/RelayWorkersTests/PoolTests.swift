import AsyncHTTPClient
import BullQueue
import Foundation
import NIOCore
import NIOPosix
import RelayProviders
import RelayRedis
import RelayWorkers
import Testing

@Suite("Worker pools")
struct PoolTests {
    static func configuration(queue: String, openAIURL: String? = nil) throws -> WorkersConfiguration {
        let openAI = openAIURL.map { """
              broken: { kind: openai, baseURL: "\($0)", models: { m: { contextWindow: 10, capabilities: [chat], price: { input: 1 } } } }
            """ } ?? ""
        let yaml = """
            pools:
              chat: { queue: \(queue), concurrency: 4, kinds: [chat, embedding], timeout: 5000 }
            providers:
            \(openAI)
              sim: { kind: simulated, models: { m: { contextWindow: 10, capabilities: [chat, embedding], price: { input: 1 } } } }
            routing:
              m: [\(openAIURL == nil ? "" : "broken, ")sim]
            breaker: { volumeThreshold: 100 }
            """
        return try WorkersConfiguration.parse(yaml, file: "test.yml", environment: [:])
    }

    static let httpClient = ProviderHTTPClient.make()

    func run(_ configuration: WorkersConfiguration, payload: LLMJobPayload) async throws -> (messages: [JSONValue], job: Job?) {
        let url = ProcessInfo.processInfo.environment["REDIS_URL"] ?? "redis://127.0.0.1:6379"
        let redis = try RedisClient(url: url)
        let pool = configuration.pools[0]
        let queue = try Queue(name: pool.queue, redis: redis)
        let pools = try WorkerPools(configuration: configuration, redis: redis, httpClient: Self.httpClient)
        let running = Task { try await pools.run() }
        let id = "job-\(UUID().uuidString.prefix(8))"
        let subscription = try await redis.subscribe(to: [JobStream.channel(queue: pool.queue, jobId: id)])
        let data = try JSONValue(json: String(decoding: try JSONEncoder().encode(payload), as: UTF8.self))
        _ = try await queue.add("llm", data: data, options: JobOptions(jobId: id))
        var messages: [JSONValue] = []
        receiving: for try await message in subscription {
            for line in JobStream.messages(inPayload: message.text) {
                let value = try JSONValue(json: String(line))
                messages.append(value)
                if value["type"] == "done" || value["type"] == "error" { break receiving }
            }
        }
        var job: Job?
        for _ in 0..<200 {
            job = try await queue.getJob(id)
            if job?.finishedOn != nil { break }
            try await Task.sleep(for: .milliseconds(10))
        }
        let kept = try await JobStream(redis: redis, queue: pool.queue, jobId: id).messages(after: 0)
        #expect(kept == messages)
        pools.shutdown()
        try await running.value
        try await queue.obliterate(force: true)
        await redis.close()
        return (messages, job)
    }

    @Test("a chat job streams numbered chunks then done with usage, through pub/sub and the kept log")
    func chatJob() async throws {
        let queue = "pool-\(UUID().uuidString.prefix(8))"
        let request = LLMRequest(kind: .chat, model: "m", messages: [ChatMessage(role: "user", content: "hello")], maxTokens: 4)
        let (messages, job) = try await run(try Self.configuration(queue: queue), payload: LLMJobPayload(userId: "u1", request: request))
        #expect(messages.map { $0["seq"]?.intValue } == [1, 2, 3, 4, 5])
        #expect(messages.prefix(4).allSatisfy { $0["type"] == "chunk" })
        let done = try #require(messages.last)
        #expect(done["type"] == "done" && done["provider"] == "sim" && done["fallback"] == false)
        #expect(done["usage"]?["completionTokens"] == 4)
        #expect(job?.returnValue?["userId"] == "u1")
    }

    @Test("a dead first provider falls back before any chunk; the client sees one provider's text")
    func fallback() async throws {
        let queue = "pool-\(UUID().uuidString.prefix(8))"
        let request = LLMRequest(kind: .chat, model: "m", messages: [ChatMessage(role: "user", content: "hello")], maxTokens: 3)
        let configuration = try Self.configuration(queue: queue, openAIURL: "http://127.0.0.1:1/v1")
        let (messages, _) = try await run(configuration, payload: LLMJobPayload(userId: "u1", request: request))
        #expect(messages.last?["provider"] == "sim")
        #expect(messages.last?["fallback"] == true)
        #expect(messages.filter { $0["type"] == "chunk" }.count == 3)
    }

    @Test("a request for a model nobody serves ends with INVALID_REQUEST")
    func unknownModel() async throws {
        let queue = "pool-\(UUID().uuidString.prefix(8))"
        let request = LLMRequest(kind: .chat, model: "nope", messages: [ChatMessage(role: "user", content: "x")])
        let (messages, job) = try await run(try Self.configuration(queue: queue), payload: LLMJobPayload(userId: "u1", request: request))
        #expect(messages.last?["error"]?["code"] == "INVALID_REQUEST")
        #expect(job?.failedReason?.hasPrefix("INVALID_REQUEST") == true)
    }
}

@Suite("Cancelling an LLM job mid-stream", .enabled(if: ProcessInfo.processInfo.environment["RELAY_LLMOCK"] != nil))
struct CancelMidStreamTests {
    @Test("a cancel from another process aborts the upstream stream and ends the job with CANCELLED")
    func cancelMidStream() async throws {
        let port = Int.random(in: 42000..<48000)
        let llmock = Process()
        llmock.executableURL = URL(fileURLWithPath: ProcessInfo.processInfo.environment["RELAY_LLMOCK"]!)
        llmock.arguments = ["serve", "--host", "127.0.0.1", "--port", String(port), "--log-level", "warning", "--stream-chunk-delay-ms", "300"]
        llmock.standardOutput = FileHandle.nullDevice
        llmock.standardError = FileHandle.nullDevice
        try llmock.run()
        defer { kill(llmock.processIdentifier, SIGKILL); llmock.waitUntilExit() }
        let queueName = "pool-\(UUID().uuidString.prefix(8))"
        let yaml = """
            pools:
              chat: { queue: \(queueName), concurrency: 2, kinds: [chat], timeout: 20000 }
            providers:
              mock: { kind: openai, baseURL: "http://127.0.0.1:\(port)/v1", models: { m: { contextWindow: 10, capabilities: [chat], price: { input: 1 } } } }
            routing:
              m: [mock]
            """
        let configuration = try WorkersConfiguration.parse(yaml, file: "t.yml", environment: [:])
        let url = ProcessInfo.processInfo.environment["REDIS_URL"] ?? "redis://127.0.0.1:6379"
        let redis = try RedisClient(url: url)
        let queue = try Queue(name: queueName, redis: redis)
        for _ in 0..<200 {
            let probe = HTTPClientRequest(url: "http://127.0.0.1:\(port)/v1/models")
            if (try? await PoolTests.httpClient.execute(probe, timeout: .seconds(1))) != nil { break }
            try await Task.sleep(for: .milliseconds(30))
        }
        let pools = try WorkerPools(configuration: configuration, redis: redis, httpClient: PoolTests.httpClient)
        let running = Task { try await pools.run() }
        let id = "job-\(UUID().uuidString.prefix(8))"
        let subscription = try await redis.subscribe(to: [JobStream.channel(queue: queueName, jobId: id)])
        let payload = LLMJobPayload(userId: "u", request: LLMRequest(kind: .chat, model: "m", messages: [ChatMessage(role: "user", content: "a long story")]))
        let data = try JSONValue(json: String(decoding: try JSONEncoder().encode(payload), as: UTF8.self))
        _ = try await queue.add("llm", data: data, options: JobOptions(jobId: id))
        var last: JSONValue?
        var cancelledAt: ContinuousClock.Instant?
        receiving: for try await message in subscription {
            for line in JobStream.messages(inPayload: message.text) {
                let value = try JSONValue(json: String(line))
                last = value
                if value["type"] == "chunk", cancelledAt == nil {
                    cancelledAt = .now
                    let other = try RedisClient(url: url)
                    #expect(try await Queue(name: queueName, redis: other).cancel(jobId: id, reason: "client left") == .signalled)
                    await other.close()
                }
                if value["type"] == "done" || value["type"] == "error" { break receiving }
            }
        }
        #expect(last?["error"]?["code"] == "CANCELLED", "last message: \(last?.json ?? "none")")
        #expect(ContinuousClock.now - (cancelledAt ?? .now) < .seconds(2))
        pools.shutdown()
        try await running.value
        try await queue.obliterate(force: true)
        await redis.close()
    }
}
