import ArgumentParser
import RelayLedger

/// `relay credits …`: grants, adjustments and balances.
struct CreditsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "credits",
        abstract: "Grant, adjust and show credits (amounts in credits, up to 6 decimals).",
        subcommands: [CreditsGrant.self, CreditsAdjust.self, CreditsBalance.self]
    )
}

struct CreditsGrant: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "grant", abstract: "Add credits to a user.")

    @OptionGroup var database: DatabaseOptions
    @Argument(help: "The user's id.") var user: String
    @Argument(help: "Credits to add, e.g. 10 or 2.5.") var amount: Credits
    @Option(help: "Why, kept in the ledger.") var note: String?

    func validate() throws {
        try validateUser(user)
        guard amount > .zero else { throw ValidationError("AMOUNT must be positive") }
    }

    func run() async throws {
        let available = try await database.withLedger {
            try await $0.grant(userId: user, amount: amount, note: note)
        }
        print("granted \(amount) to \(user); available \(available)")
    }
}

struct CreditsAdjust: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "adjust",
        abstract: "Correct a user's balance by a positive or negative amount (relay credits adjust alice -2.5)."
    )

    @OptionGroup var database: DatabaseOptions
    @Argument(help: "The user's id.") var user: String
    @Argument(parsing: .allUnrecognized, help: ArgumentHelp("Credits to add (negative to remove).", valueName: "amount"))
    var amountText: [String] = []
    @Option(help: "Why, kept in the ledger.") var note: String?

    private var amount: Credits { amountText.filter { $0 != "--" }.first.flatMap(Credits.init(parsing:)) ?? .zero }

    func validate() throws {
        try validateUser(user)
        let texts = amountText.filter { $0 != "--" }
        guard texts.count == 1, let amount = Credits(parsing: texts[0]) else {
            throw ValidationError("give one AMOUNT in credits, e.g. 5 or -2.5")
        }
        guard amount != .zero else { throw ValidationError("AMOUNT cannot be zero") }
    }

    func run() async throws {
        let available = try await database.withLedger {
            try await $0.adjust(userId: user, amount: amount, note: note)
        }
        print("adjusted \(user) by \(amount); available \(available)")
    }
}

struct CreditsBalance: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "balance",
        abstract: "Show a user's balance, checked against the ledger's entries."
    )

    @OptionGroup var database: DatabaseOptions
    @Argument(help: "The user's id.") var user: String

    func validate() throws { try validateUser(user) }

    func run() async throws {
        let balance = try await database.withLedger { try await $0.balance(userId: user) }
        print("user       \(balance.userId)")
        print("available  \(balance.available)")
        print("reserved   \(balance.reserved)")
        if balance.isConsistent {
            print("ledger     consistent")
        } else {
            print(
                "ledger     MISMATCH: entries give available \(balance.recomputedAvailable), "
                    + "reserved \(balance.recomputedReserved)"
            )
            throw ExitCode(2)
        }
    }
}
