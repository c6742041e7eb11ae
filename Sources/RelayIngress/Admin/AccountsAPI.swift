import Foundation
import HTTPTypes
import Hummingbird
import RelayJSON
import RelayLedger

/// Relay's own JSON API for balances, usage, credits, limits and alert rules (`/api/…`).
///
/// A user reads their own balance and usage (`/api/me/…`); the admin role reads and changes anyone's
/// (`/api/admin/…`). Errors are `{"error": {"code", "message"}}` with the WebSocket protocol's codes.
struct AccountsAPI: RelayJSONAPI {
    let ledger: Ledger?
    let limiter: RateLimiter
    let authenticator: Authenticator
    let metrics: IngressMetrics
    var name: String { "accounts" }

    func register(on router: Router<RelayRequestContext>) {
        let api = router.group("api")
        api.get("me/balance") { request, _ in
            await handle { try await balance(of: try await authenticator.identity(of: request).userId) }
        }
        api.get("me/usage") { request, _ in
            await handle { try await usage(request, user: try await authenticator.identity(of: request).userId) }
        }
        api.get("me/limits") { request, _ in
            await handle { try await limits(of: try await authenticator.identity(of: request).userId) }
        }
        let admin = api.group("admin")
        admin.get("users/:user") { request, context in
            await handle {
                let user = try await adminTarget(request, context)
                var body = try await balanceJSON(of: user)
                body["limits"] = try await limitsJSON(of: user)
                return json(.object(body))
            }
        }
        admin.post("users/:user/credits") { request, context in
            await handle { try await grant(request, context: context) }
        }
        admin.put("users/:user/limits") { request, context in
            await handle {
                let user = try await adminTarget(request, context)
                let body = try await jsonBody(request, context: context)
                let limits = RateLimiter.Limits(
                    rpm: try RequestParsing.positiveInt(body["rpm"], field: "rpm", max: 10_000_000),
                    tpm: try RequestParsing.positiveInt(body["tpm"], field: "tpm", max: 1_000_000_000)
                )
                try await limiter.setLimits(userId: user, limits)
                return try await self.limits(of: user)
            }
        }
        admin.post("users/:user/alerts") { request, context in
            await handle { try await addAlert(request, context: context) }
        }
        admin.get("usage") { request, _ in
            await handle {
                try await requireAdmin(request)
                return try await usage(request, user: request.uri.queryParameters.get("user"))
            }
        }
    }

    private func requireLedger() throws -> Ledger {
        guard let ledger else { throw IngressError(.notFound, "this Relay runs without a ledger (no DATABASE_URL)") }
        return ledger
    }

    private func balance(of user: String) async throws -> Response {
        json(.object(try await balanceJSON(of: user)))
    }

    private func balanceJSON(of user: String) async throws -> [String: JSONValue] {
        let balance = try await ledgerCall { try await requireLedger().balance(userId: user) }
        return ["userId": .string(user), "available": credits(balance.available), "reserved": credits(balance.reserved)]
    }

    private func limits(of user: String) async throws -> Response {
        json(try await limitsJSON(of: user))
    }

    private func limitsJSON(of user: String) async throws -> JSONValue {
        let limits = try await limiter.effectiveLimits(userId: user)
        return ["rpm": limits.rpm.map(JSONValue.int) ?? .null, "tpm": limits.tpm.map(JSONValue.int) ?? .null]
    }

    private func usage(_ request: Request, user: String?) async throws -> Response {
        let query = request.uri.queryParameters
        let grouping = try query.get("by").map { name in
            guard let grouping = UsageReport.Grouping(rawValue: name) else {
                throw IngressError(.invalidRequest, "'by' must be one of user, model, provider, day")
            }
            return grouping
        } ?? .day
        var since: Date?
        if let text = query.get("since") {
            guard let date = ISO8601DateFormatter.relayDay.date(from: text) ?? ISO8601DateFormatter().date(from: text) else {
                throw IngressError(.invalidRequest, "'since' must be a date (2026-12-01) or an ISO 8601 time")
            }
            since = date
        }
        let limit = Int(query.get("limit") ?? "") ?? 100
        let report = try await ledgerCall { try await requireLedger().usage(userId: user, by: grouping, since: since) }
        let rows = report.rows.sorted { $0.credits > $1.credits }.prefix(max(1, min(limit, 10_000)))
        return json([
            "by": .string(grouping.rawValue), "user": user.map(JSONValue.string) ?? .null,
            "totalCredits": credits(report.totalCredits),
            "rows": .array(rows.map { row in
                [
                    "key": .string(row.key), "requests": .int(Int(row.requests)), "failed": .int(Int(row.failed)),
                    "promptTokens": .int(Int(row.promptTokens)), "completionTokens": .int(Int(row.completionTokens)),
                    "credits": credits(row.credits), "fallbacks": .int(Int(row.fallbacks)),
                    "averageLatencyMs": row.averageLatencyMilliseconds.map { .int(Int($0)) } ?? .null,
                ]
            }),
        ])
    }

    private func grant(_ request: Request, context: RelayRequestContext) async throws -> Response {
        let user = try await adminTarget(request, context)
        let body = try await jsonBody(request, context: context)
        guard let amount = Self.amount(body["amount"]) else {
            throw IngressError(.invalidRequest, "'amount' must be a number of credits (negative to adjust down)")
        }
        let note = body["note"]?.stringValue
        _ = try await ledgerCall {
            let ledger = try requireLedger()
            return amount.micros > 0
                ? try await ledger.grant(userId: user, amount: amount, note: note)
                : try await ledger.adjust(userId: user, amount: amount, note: note)
        }
        return try await balance(of: user)
    }

    private func addAlert(_ request: Request, context: RelayRequestContext) async throws -> Response {
        let user = try await adminTarget(request, context)
        let body = try await jsonBody(request, context: context)
        guard let kind = body["kind"]?.stringValue.flatMap(AlertRule.Kind.init), let threshold = Self.amount(body["threshold"]) else {
            throw IngressError(.invalidRequest, "'kind' must be balance_below or daily_spend_above, with a 'threshold' in credits")
        }
        let rule = try await ledgerCall { try await requireLedger().addAlertRule(userId: user, kind: kind, threshold: threshold) }
        return json(["id": .int(Int(rule.id)), "userId": .string(user), "kind": .string(kind.rawValue), "threshold": credits(threshold)], status: .created)
    }

    /// Runs a ledger call, mapping its errors to the API's.
    private func ledgerCall<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as IngressError {
            throw error
        } catch let error as LedgerError where error.isUnavailable {
            throw IngressError(.unavailable, "the ledger is unreachable right now")
        } catch let error as LedgerError {
            throw IngressError(.invalidRequest, error.detail)
        }
    }

    private func credits(_ value: Credits) -> JSONValue { .double(Double(value.micros) / Double(Credits.scale)) }

    static func amount(_ value: JSONValue?) -> Credits? {
        switch value {
        case .int(let number)?: return Credits(Int64(number))
        case .double(let number)?: return Credits(micros: Int64((number * Double(Credits.scale)).rounded()))
        case .string(let text)?: return Credits(parsing: text)
        default: return nil
        }
    }
}

extension ISO8601DateFormatter {
    /// `2026-12-01`, midnight UTC.
    nonisolated(unsafe) static let relayDay: ISO8601DateFormatter = {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withFullDate]
        return formatter
    }()
}
