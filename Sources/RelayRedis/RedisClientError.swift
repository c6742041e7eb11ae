/// An error of the client itself: the connection, the protocol or the configuration.
///
/// Its description never contains passwords or command arguments.
public struct RedisClientError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Value: String, Sendable {
            case connectionClosed
            case connectionFailed
            case protocolError
            case invalidURL
            case unsupported
            case transactionAborted
            case unexpectedReply
            case clientClosed
            case notSent
        }

        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// The connection closed while the command waited for its reply.
        public static let connectionClosed = Code(.connectionClosed)
        /// No connection to the server could be made.
        public static let connectionFailed = Code(.connectionFailed)
        /// The server sent bytes that are not RESP.
        public static let protocolError = Code(.protocolError)
        /// The Redis URL could not be read.
        public static let invalidURL = Code(.invalidURL)
        /// A feature this client does not support yet, such as TLS.
        public static let unsupported = Code(.unsupported)
        /// EXEC returned nil because a watched key changed.
        public static let transactionAborted = Code(.transactionAborted)
        /// The server answered with a reply of an unexpected shape.
        public static let unexpectedReply = Code(.unexpectedReply)
        /// The client was closed by its owner.
        public static let clientClosed = Code(.clientClosed)
        /// The connection closed before the command was written: nothing reached the server, so it is safe to resend.
        /// The client resends once on a new connection before reporting this.
        public static let notSent = Code(.notSent)

        public var description: String { value.rawValue }
    }

    public let code: Code
    /// What happened, without secrets.
    public let detail: String

    public init(_ code: Code, _ detail: String) {
        self.code = code
        self.detail = detail
    }

    public var description: String { "Redis client error (\(code)): \(detail)" }
}
