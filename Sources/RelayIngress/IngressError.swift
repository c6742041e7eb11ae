/// A request the ingress refuses or could not serve, with a stable code each API maps to its own error shape.
///
/// Messages never carry tokens, secrets or another user's data.
public struct IngressError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Code: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }

        public static let unauthorized = Code(rawValue: "UNAUTHORIZED")
        public static let forbidden = Code(rawValue: "FORBIDDEN")
        public static let invalidRequest = Code(rawValue: "INVALID_REQUEST")
        /// The model is not routed (INVALID_REQUEST on WebSocket, 404 over HTTP).
        public static let modelNotFound = Code(rawValue: "MODEL_NOT_FOUND")
        public static let insufficientCredits = Code(rawValue: "INSUFFICIENT_CREDITS")
        public static let rateLimitExceeded = Code(rawValue: "RATE_LIMIT_EXCEEDED")
        public static let providerError = Code(rawValue: "PROVIDER_ERROR")
        public static let allProvidersFailed = Code(rawValue: "ALL_PROVIDERS_FAILED")
        public static let timeout = Code(rawValue: "TIMEOUT")
        public static let cancelled = Code(rawValue: "CANCELLED")
        /// Redis or Postgres cannot be reached (INTERNAL on WebSocket, 503 over HTTP).
        public static let unavailable = Code(rawValue: "UNAVAILABLE")
        public static let payloadTooLarge = Code(rawValue: "PAYLOAD_TOO_LARGE")
        public static let notFound = Code(rawValue: "NOT_FOUND")
        /// A WebSocket version other than 13 (426).
        public static let upgradeRequired = Code(rawValue: "UPGRADE_REQUIRED")
        public static let `internal` = Code(rawValue: "INTERNAL")

        public var description: String { rawValue }

        /// The code as the WebSocket protocol names it (its list is fixed).
        public var protocolCode: String {
            switch self {
            case .modelNotFound, .payloadTooLarge, .notFound, .upgradeRequired: return "INVALID_REQUEST"
            case .unavailable: return "INTERNAL"
            default: return rawValue
            }
        }
    }

    public var code: Code
    public var message: String
    /// Seconds after which a retry may succeed (rate limits).
    public var retryAfter: Int?

    public init(_ code: Code, _ message: String, retryAfter: Int? = nil) {
        self.code = code
        self.message = message
        self.retryAfter = retryAfter
    }

    public var description: String { "\(code.rawValue): \(message)" }

    /// The HTTP status both HTTP APIs use for the code.
    public var httpStatus: Int {
        switch code {
        case .unauthorized: return 401
        case .forbidden: return 403
        case .modelNotFound, .notFound: return 404
        case .insufficientCredits: return 402
        case .rateLimitExceeded: return 429
        case .payloadTooLarge: return 413
        case .upgradeRequired: return 426
        case .providerError: return 502
        case .allProvidersFailed, .unavailable: return 503
        case .timeout: return 504
        case .cancelled: return 499
        case .internal: return 500
        default: return 400
        }
    }

    /// Whether a client retry may help; the HTTP APIs send `x-should-retry: false` when it cannot.
    public var mayRetry: Bool {
        switch code {
        case .rateLimitExceeded: return retryAfter != nil
        case .providerError, .allProvidersFailed, .timeout, .unavailable, .internal: return true
        default: return false
        }
    }

    /// Maps a worker's error message code (`PROVIDER_ERROR`, …) to an error.
    static func fromWorker(code: String, message: String) -> IngressError {
        IngressError(Code(rawValue: code), message)
    }
}
