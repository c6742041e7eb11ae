import Hummingbird
import RelayJSON

/// OpenAI's error body: `{"error": {"message", "type", "param", "code"}}`, with the status OpenAI would send.
enum OpenAIError {
    static func body(_ error: IngressError) -> (status: Int, body: JSONValue) {
        let (status, type, code): (Int, String, String?) =
            switch error.code {
            case .unauthorized: (401, "invalid_request_error", "invalid_api_key")
            case .forbidden: (403, "invalid_request_error", "permission_denied")
            case .modelNotFound: (404, "invalid_request_error", "model_not_found")
            case .notFound: (404, "invalid_request_error", "not_found")
            case .insufficientCredits: (429, "insufficient_quota", "insufficient_quota")
            case .rateLimitExceeded: (429, "requests", "rate_limit_exceeded")
            case .payloadTooLarge: (413, "invalid_request_error", "request_too_large")
            case .invalidRequest: (400, "invalid_request_error", nil)
            case .timeout: (504, "server_error", "timeout")
            case .providerError: (502, "server_error", "provider_error")
            case .allProvidersFailed: (503, "server_error", "all_providers_failed")
            case .unavailable: (503, "server_error", "service_unavailable")
            case .cancelled: (499, "invalid_request_error", "cancelled")
            default: (500, "server_error", nil)
            }
        let body: JSONValue = [
            "error": [
                "message": .string(error.message), "type": .string(type), "param": .null,
                "code": code.map(JSONValue.string) ?? .null,
            ]
        ]
        return (status, body)
    }
}
