/// Credits and usage on Postgres: reserve, settle, refund.
///
/// The ledger arrives with its own issue; `bin/dev` and `bin/test` already start the Postgres it will use.
public enum RelayLedger {}
