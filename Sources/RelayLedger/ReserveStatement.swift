import PostgresNIO

/// `ledger_reserve`, prepared once per connection: the hot path is not parsed and planned on every call.
struct ReserveStatement: PostgresPreparedStatement {
    static let sql = "SELECT r_outcome, r_amount, r_available FROM ledger_reserve($1, $2, $3)"
    typealias Row = (String, Int64, Int64)

    let userId: String
    let jobId: String
    let amount: Int64

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 3)
        bindings.append(userId)
        bindings.append(jobId)
        bindings.append(amount)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Row {
        try row.decode(Row.self)
    }
}
