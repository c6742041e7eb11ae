import ArgumentParser
import Foundation
import Logging
import RelayLedger

/// `--database URL` for serving and working: the ledger is on when it (or `DATABASE_URL`) is set.
struct OptionalDatabaseOptions: ParsableArguments {
    @Option(name: .customLong("database"), help: "Postgres URL for credits and usage (default: $DATABASE_URL; none: no billing).")
    var url: String?

    @Option(name: .customLong("spool"), help: "Where ledger writes go while Postgres is unreachable.")
    var spool: String = ".relay/spool"

    @Option(name: .customLong("alert-webhook"), help: "URL that budget alerts are POSTed to (default: $RELAY_ALERT_WEBHOOK).")
    var alertWebhook: String?

    func ledger(logger: Logger) throws -> Ledger? {
        let environment = ProcessInfo.processInfo.environment
        guard let url = url ?? environment["DATABASE_URL"], !url.isEmpty else { return nil }
        do {
            var configuration = try LedgerConfiguration(url: url)
            configuration.spoolDirectory = spool
            configuration.alertWebhookURL = alertWebhook ?? environment["RELAY_ALERT_WEBHOOK"]
            return Ledger(configuration: configuration, logger: logger)
        } catch let error as LedgerError {
            throw ValidationError(error.detail)
        }
    }
}
