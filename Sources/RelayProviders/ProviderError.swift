/// A provider call that failed; the code says whether another attempt or provider may help.
public struct ProviderError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Value: String, Sendable {
            case rateLimited, unavailable, timeout, invalidRequest, unauthorized, notFound, streamBroken, transport
            case cancelled, circuitOpen
        }

        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// 429 from the provider.
        public static let rateLimited = Code(.rateLimited)
        /// 5xx or 529: the provider is overloaded or down.
        public static let unavailable = Code(.unavailable)
        /// No answer, or no end of the stream, within the deadline.
        public static let timeout = Code(.timeout)
        /// 400, 413, 422: the request itself is wrong; no provider will take it.
        public static let invalidRequest = Code(.invalidRequest)
        /// 401, 403: Relay's key for the provider is refused.
        public static let unauthorized = Code(.unauthorized)
        /// 404: the provider does not serve the model.
        public static let notFound = Code(.notFound)
        /// The stream ended early or carried an error after it began.
        public static let streamBroken = Code(.streamBroken)
        /// The connection failed.
        public static let transport = Code(.transport)
        public static let cancelled = Code(.cancelled)
        /// The provider's circuit breaker is open.
        public static let circuitOpen = Code(.circuitOpen)

        public var description: String { value.rawValue }
    }

    public let code: Code
    public let provider: String
    /// The HTTP status, when there was one.
    public let status: Int?
    /// Seconds the provider asked to wait (`retry-after-ms` or `retry-after`).
    public let retryAfter: Double?
    /// The provider's message, without request contents or keys.
    public let message: String

    public init(_ code: Code, provider: String, status: Int? = nil, retryAfter: Double? = nil, message: String) {
        self.code = code
        self.provider = provider
        self.status = status
        self.retryAfter = retryAfter
        self.message = message
    }

    /// Whether the same provider may succeed on another attempt.
    public var isRetryable: Bool {
        [.rateLimited, .unavailable, .timeout, .transport].contains(code)
    }

    /// Whether another provider may succeed: everything but a request that is wrong in itself or a cancel.
    public var allowsFallback: Bool {
        code != .invalidRequest && code != .cancelled
    }

    /// Whether the failure counts against the provider's health (circuit breaker).
    public var countsAsProviderFailure: Bool {
        [.rateLimited, .unavailable, .timeout, .transport, .streamBroken].contains(code)
    }

    public var description: String {
        "provider \(provider) failed (\(code)\(status.map { ", HTTP \($0)" } ?? "")): \(message)"
    }

    /// Maps an HTTP status to a code.
    static func code(forStatus status: Int) -> Code {
        switch status {
        case 429: return .rateLimited
        case 401, 403: return .unauthorized
        case 404: return .notFound
        case 408: return .timeout
        case 400, 409, 413, 422: return .invalidRequest
        default: return status >= 500 ? .unavailable : .invalidRequest
        }
    }
}
