import PostgresNIO

/// An error of the ledger. Descriptions name the operation and the reason, never SQL parameters or passwords.
public struct LedgerError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong, as a stable code (`INSUFFICIENT_CREDITS`, `LEDGER_UNAVAILABLE`, …).
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Value: String, Sendable {
            case insufficientCredits = "INSUFFICIENT_CREDITS"
            case ledgerUnavailable = "LEDGER_UNAVAILABLE"
            case invalidArgument = "INVALID_ARGUMENT"
            case unknownPrice = "UNKNOWN_PRICE"
            case noUsage = "NO_USAGE"
            case migrationFailed = "MIGRATION_FAILED"
            case databaseError = "DATABASE_ERROR"
            case spoolFailed = "SPOOL_FAILED"
        }

        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// The account's available balance cannot cover the reservation.
        public static let insufficientCredits = Code(.insufficientCredits)
        /// Postgres could not be reached in time (down, refusing connections, or the operation timed out).
        public static let ledgerUnavailable = Code(.ledgerUnavailable)
        public static let invalidArgument = Code(.invalidArgument)
        /// Usage without explicit credits for a provider and model that has no price.
        public static let unknownPrice = Code(.unknownPrice)
        /// The reconciler or a bare settle found no usage log for the job.
        public static let noUsage = Code(.noUsage)
        public static let migrationFailed = Code(.migrationFailed)
        /// Postgres refused the statement for another reason (constraint, permissions, …).
        public static let databaseError = Code(.databaseError)
        /// A write could neither reach Postgres nor be spooled to disk.
        public static let spoolFailed = Code(.spoolFailed)

        public var description: String { value.rawValue }
    }

    public let code: Code
    public let detail: String

    public init(_ code: Code, _ detail: String) {
        self.code = code
        self.detail = detail
    }

    public var description: String { "ledger error (\(code)): \(detail)" }

    /// Whether the error means Postgres was unreachable, so that a write may be spooled and replayed.
    public var isUnavailable: Bool { code == .ledgerUnavailable }

    /// Maps an error of postgres-nio, or of the operation's deadline, to a ledger error.
    static func wrapping(_ error: any Error, operation: String) -> LedgerError {
        if let error = error as? LedgerError { return error }
        if let error = error as? PSQLError {
            guard error.code == .server else {
                return LedgerError(.ledgerUnavailable, "\(operation): Postgres is unreachable (\(error.code))")
            }
            let state = error.serverInfo?[.sqlState] ?? "?????"
            switch state {
            case "RL001": return LedgerError(.unknownPrice, "\(operation): no price for this provider and model")
            case "RL002": return LedgerError(.noUsage, "\(operation): no usage recorded for this job")
            default: break
            }
            if state.hasPrefix("08") || state.hasPrefix("57P") || state.hasPrefix("53") {
                return LedgerError(.ledgerUnavailable, "\(operation): Postgres is unavailable (SQLSTATE \(state))")
            }
            return LedgerError(.databaseError, "\(operation): Postgres refused the statement (SQLSTATE \(state))")
        }
        return LedgerError(.ledgerUnavailable, "\(operation): Postgres is unreachable (\(type(of: error)))")
    }
}
