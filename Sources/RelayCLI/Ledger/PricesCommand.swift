import ArgumentParser
import RelayLedger

/// `relay prices …`: the admin's per-model prices, which win over `workers.yml` when jobs are billed.
struct PricesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prices",
        abstract: "List or set model prices (credits per million tokens); an admin's price wins over workers.yml.",
        subcommands: [PricesList.self, PricesSet.self]
    )
}

struct PricesList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "Every price in the ledger.")

    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        let prices = try await database.withLedger { try await $0.prices() }
        print("provider/model  prompt per 1M  completion per 1M  source")
        for price in prices {
            print("\(price.provider)/\(price.model)  \(price.promptPerMillion)  \(price.completionPerMillion)  \(price.isOverride ? "admin" : "shipped")")
        }
    }
}

struct PricesSet: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "set",
        abstract: "Set a model's price for one provider (worker pools pick it up within 30 s)."
    )

    @OptionGroup var database: DatabaseOptions
    @Argument(help: "The provider id of workers.yml.") var provider: String
    @Argument(help: "The model.") var model: String
    @Option(help: "Credits per million prompt tokens.") var prompt: Credits
    @Option(help: "Credits per million completion tokens.") var completion: Credits

    func run() async throws {
        guard !provider.isEmpty, !model.isEmpty, prompt >= .zero, completion >= .zero else {
            throw ValidationError("a provider, a model and non-negative prices are needed")
        }
        try await database.withLedger {
            try await $0.setPrice(ModelPrice(provider: provider, model: model, promptPerMillion: prompt, completionPerMillion: completion))
        }
        print("\(provider)/\(model): \(prompt) per 1M prompt tokens, \(completion) per 1M completion tokens")
    }
}

/// `relay alerts …`: per-user budget alerts (a log line, a metric and a webhook POST, at most once a UTC day).
struct AlertsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alerts", abstract: "Add or list a user's budget alerts.", subcommands: [AlertsAdd.self, AlertsList.self]
    )
}

extension AlertRule.Kind: ExpressibleByArgument {}

struct AlertsAdd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add", abstract: "Alert when a balance falls below, or a day's spend rises above, a threshold."
    )

    @OptionGroup var database: DatabaseOptions
    @Argument(help: "The user's id.") var user: String
    @Option(help: "balance_below or daily_spend_above.") var kind: AlertRule.Kind
    @Option(help: "The threshold in credits.") var threshold: Credits

    func run() async throws {
        try validateUser(user)
        let rule = try await database.withLedger { try await $0.addAlertRule(userId: user, kind: kind, threshold: threshold) }
        print("alert \(rule.id): \(user) \(rule.kind.rawValue) \(rule.threshold)")
    }
}

struct AlertsList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "A user's alert rules.")

    @OptionGroup var database: DatabaseOptions
    @Argument(help: "The user's id.") var user: String

    func run() async throws {
        try validateUser(user)
        for rule in try await database.withLedger({ try await $0.alertRules(userId: user) }) {
            print("alert \(rule.id): \(rule.kind.rawValue) \(rule.threshold)")
        }
    }
}
