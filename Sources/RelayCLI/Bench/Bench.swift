import ArgumentParser

/// `relay bench …`: benchmarks whose figures go in the README.
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure Relay's components against their peers on this machine.",
        subcommands: [
            RedisBench.self, QueueBench.self, LedgerBench.self, IngressBench.self, FallbackBench.self, FairnessBench.self,
        ]
    )
}
