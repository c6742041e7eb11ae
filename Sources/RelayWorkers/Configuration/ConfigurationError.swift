/// A mistake in `workers.yml`: where it is and what was expected there.
public struct ConfigurationError: Error, Sendable, Hashable, CustomStringConvertible {
    public let file: String
    /// Dotted path to the value, e.g. `pools.interactive.concurrency`.
    public let keyPath: String
    public let expected: String
    /// What the file has there, when it has something (never a secret: API keys are read from the environment).
    public let found: String?

    public init(file: String, keyPath: String, expected: String, found: String? = nil) {
        self.file = file
        self.keyPath = keyPath
        self.expected = expected
        self.found = found
    }

    public var description: String {
        "\(file): \(keyPath.isEmpty ? "(top level)" : keyPath): expected \(expected)" + (found.map { ", found \($0)" } ?? "")
    }
}
