import Foundation
import PostgresNIO

/// `ledger_settle`, prepared once per connection.
struct SettleStatement: PostgresPreparedStatement {
    static let sql = """
        SELECT r_outcome, r_user, r_charged, r_available, r_has_rules
        FROM ledger_settle($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
        """
    static let bindingDataTypes: [PostgresDataType] = [
        .text, .text, .text, .text, .text, .int8, .int8, .bool, .int8, .int4, .text, .bool, .timestamptz, .timestamptz,
    ]
    typealias Row = (String, String, Int64, Int64?, Bool)

    let usage: Usage

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 14)
        bindings.append(usage.jobId)
        bindings.append(usage.userId)
        bindings.append(usage.requestKind)
        bindings.append(usage.provider)
        bindings.append(usage.model)
        bindings.append(usage.promptTokens)
        bindings.append(usage.completionTokens)
        bindings.append(usage.tokensExact)
        append(usage.credits?.micros, to: &bindings)
        append(usage.latencyMilliseconds, to: &bindings)
        bindings.append(usage.status)
        bindings.append(usage.fallbackUsed)
        append(usage.startedAt, to: &bindings)
        append(usage.finishedAt, to: &bindings)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Row {
        try row.decode(Row.self)
    }

    private func append<Value: PostgresNonThrowingEncodable>(_ value: Value?, to bindings: inout PostgresBindings) {
        if let value { bindings.append(value) } else { bindings.appendNull() }
    }
}

extension PostgresClient {
    /// Runs a prepared statement to completion and returns its first row.
    func firstRow<Statement: PostgresPreparedStatement>(_ statement: Statement) async throws -> Statement.Row
    where Statement.Row: Sendable {
        var first: Statement.Row?
        for try await row in try await execute(statement) where first == nil { first = row }
        guard let first else { throw LedgerError(.databaseError, "the statement returned no row") }
        return first
    }
}
