import ArgumentParser

/// The `relay` command: serving, benchmarks and (as the issues land) queue, user and ledger administration.
@main
struct Relay: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "relay",
        abstract: "Relay, an AI gateway: ingress, queue and workers over Redis.",
        subcommands: [
            Serve.self, Work.self, Dev.self, Token.self, UsersCommand.self, DlqCommand.self, QueueCommand.self, Bench.self,
            Migrate.self, CreditsCommand.self, UsageCommand.self, LedgerCommand.self, PricesCommand.self, AlertsCommand.self,
        ]
    )
}
