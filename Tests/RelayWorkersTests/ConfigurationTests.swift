import BullQueue
import Foundation
import RelayProviders
import RelayWorkers
import Testing

@Suite("workers.yml")
struct ConfigurationTests {
    static let shipped = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../workers.yml").standardized.path

    @Test("the shipped file runs on the simulated provider with no API keys")
    func shippedWithoutKeys() throws {
        let configuration = try WorkersConfiguration.load(path: Self.shipped, environment: [:])
        #expect(configuration.pools.map(\.name) == ["interactive", "embeddings"])
        #expect(configuration.routes["gpt-4o-mini"] == ["simulated"])
        #expect(configuration.providers["openai"]?.enabled == false)
        #expect(configuration.pool(for: .embedding)?.queue == "llm-embeddings")
        #expect(configuration.pools.map(\.userConcurrency) == [4, 8])
        #expect(configuration.pools[0].workerOptions.groupConcurrency == 4)
    }

    @Test("API keys and base URLs come from the environment")
    func shippedWithKeys() throws {
        let configuration = try WorkersConfiguration.load(
            path: Self.shipped,
            environment: ["OPENAI_API_KEY": "sk-x", "OPENAI_BASE_URL": "http://127.0.0.1:9/v1"]
        )
        #expect(configuration.routes["gpt-4o-mini"] == ["openai", "simulated"])
        #expect(configuration.providers["openai"]?.baseURL == "http://127.0.0.1:9/v1")
        #expect(configuration.providers["openai"]?.apiKey == "sk-x")
        #expect(configuration.routes["claude-sonnet-4"] == ["simulated"])
    }

    static let base = """
        pools:
          p: { queue: q, kinds: [chat] }
        providers:
          sim: { kind: simulated, models: { m: { contextWindow: 10, capabilities: [chat], price: { input: 1 } } } }
        routing:
          m: [sim]
        """

    @Test("a mistake names the file, the key path and what was expected", arguments: [
        ("pools:\n  p: { queue: q, kinds: [chat], concurrency: zero }\nproviders: {}\nrouting: {}", "pools.p.concurrency", "a positive integer"),
        (base.replacingOccurrences(of: "kinds: [chat]", with: "kinds: [video]"), "pools.p.kinds[0]", "one of chat, completion, embedding"),
        (base.replacingOccurrences(of: "kind: simulated", with: "kind: gemini"), "providers.sim.kind", "one of openai"),
        (base.replacingOccurrences(of: "m: [sim]", with: "m: [nobody]"), "routing.m[0]", "a provider defined under providers"),
        (base.replacingOccurrences(of: "{ queue: q, kinds: [chat] }", with: "{ kinds: [chat] }"), "pools.p.queue", "a string"),
        (base.replacingOccurrences(of: "{ queue: q, kinds: [chat] }", with: "{ queue: q, kinds: [chat], userConcurrency: 0 }"), "pools.p.userConcurrency", "a positive integer"),
        ("pools: [1, 2]", "pools", "a mapping"),
        ("pools: {\n", "", "valid YAML"),
    ])
    func mistakes(yaml: String, keyPath: String, expected: String) {
        let error = #expect(throws: ConfigurationError.self) {
            try WorkersConfiguration.parse(yaml, file: "workers.yml", environment: [:])
        }
        #expect(error?.keyPath == keyPath)
        #expect(error?.expected.hasPrefix(expected) == true)
        #expect(error?.description.hasPrefix("workers.yml: ") == true)
    }

    @Test("a route whose providers all lack their API key is refused")
    func routeWithoutEnabledProvider() {
        let yaml = """
            pools:
              p: { queue: q, kinds: [chat] }
            providers:
              oa: { kind: openai, apiKeyEnv: OPENAI_API_KEY, models: { m: { contextWindow: 1, capabilities: [chat], price: { input: 1 } } } }
            routing:
              m: [oa]
            """
        let error = #expect(throws: ConfigurationError.self) {
            try WorkersConfiguration.parse(yaml, file: "w.yml", environment: [:])
        }
        #expect(error?.keyPath == "routing.m")
    }
}
