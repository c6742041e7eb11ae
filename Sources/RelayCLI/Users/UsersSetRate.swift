import ArgumentParser
import RelayIngress
import RelayRedis

/// `relay users set-rate USER --rpm N --tpm N`: a user's requests and tokens per minute, for every ingress at once.
struct UsersSetRate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "set-rate",
        abstract: "Set a user's requests and tokens per minute (effective at once, kept in Redis).",
        discussion: "Omit both to clear the override, so the ingress defaults (--rpm/--tpm of relay serve) apply again."
    )

    @Argument(help: "The user id.") var user: String
    @Option(help: "Requests per minute.") var rpm: Int?
    @Option(help: "Tokens per minute (prompt plus the most a request may generate).") var tpm: Int?
    @OptionGroup var redis: RedisOptions

    func run() async throws {
        try validateUser(user)
        for value in [rpm, tpm].compactMap({ $0 }) where value < 1 {
            throw ValidationError("limits must be at least 1 (omit them to clear the override)")
        }
        let client = try redis.makeClient()
        let limiter = RateLimiter(redis: client)
        try await limiter.setLimits(userId: user, .init(rpm: rpm, tpm: tpm))
        let limits = try await limiter.overrides(userId: user)
        await client.close()
        let describe = { (value: Int?) in value.map(String.init) ?? "default" }
        print("\(user): rpm \(describe(limits.rpm)), tpm \(describe(limits.tpm))")
    }
}
