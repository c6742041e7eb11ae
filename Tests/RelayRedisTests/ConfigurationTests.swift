import RelayRedis
import Testing

@Suite("Configuration")
struct ConfigurationTests {
    @Test("a full redis:// URL")
    func fullURL() throws {
        let configuration = try RedisConfiguration(url: "redis://app:p%40ss@cache.local:6380/4")
        #expect(configuration.host == "cache.local")
        #expect(configuration.port == 6380)
        #expect(configuration.username == "app")
        #expect(configuration.password == "p@ss")
        #expect(configuration.database == 4)
        #expect(!configuration.description.contains("p@ss"))
    }

    @Test("defaults, a password without a user, and IPv6 hosts")
    func partialURLs() throws {
        let plain = try RedisConfiguration(url: "redis://localhost")
        #expect(plain.port == 6379 && plain.database == 0 && plain.password == nil)
        let passwordOnly = try RedisConfiguration(url: "redis://:secret@127.0.0.1:7000")
        #expect(passwordOnly.username == nil && passwordOnly.password == "secret" && passwordOnly.port == 7000)
        let ipv6 = try RedisConfiguration(url: "redis://[::1]:6390/2")
        #expect(ipv6.host == "::1" && ipv6.port == 6390 && ipv6.database == 2)
    }

    @Test("bad URLs and TLS are refused with a clear error", arguments: [
        "localhost:6379", "http://localhost", "redis://host:99999", "redis://host/db", "rediss://host",
    ])
    func badURLs(url: String) {
        #expect(throws: RedisClientError.self) { try RedisConfiguration(url: url) }
    }
}
