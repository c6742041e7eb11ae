import RelayProviders

/// A provider entry: its kind, where it is, the environment variable holding its key, and its models.
public struct ProviderConfiguration: Sendable {
    public enum Kind: String, Sendable, CaseIterable {
        case openai, anthropic, simulated
    }

    public var id: String
    public var kind: Kind
    public var baseURL: String
    /// Read from the environment variable `apiKeyEnv`; never from the file.
    public var apiKey: String?
    public var apiKeyEnv: String?
    /// False when the provider needs a key and its variable is unset: routing skips it.
    public var enabled: Bool
    public var models: [String: ModelInfo]
    public var simulated: SimulatedProvider.Configuration

    init(id: String, reader: YAMLReader, environment: [String: String]) throws {
        self.id = id
        let kindReader = reader.child("kind")
        guard let kind = Kind(rawValue: try kindReader.string()) else {
            throw kindReader.error("one of openai, anthropic, simulated")
        }
        self.kind = kind
        let defaultURL = kind == .anthropic ? "https://api.anthropic.com" : kind == .openai ? "https://api.openai.com/v1" : ""
        var url = try reader.child("baseURL").string(default: defaultURL)
        if let variable = try reader.child("baseURLEnv").optionalString(), let value = environment[variable], !value.isEmpty {
            url = value
        }
        if kind != .simulated, !(url.hasPrefix("http://") || url.hasPrefix("https://")) {
            throw reader.child("baseURL").error("an http:// or https:// URL")
        }
        baseURL = url
        apiKeyEnv = try reader.child("apiKeyEnv").optionalString()
        apiKey = apiKeyEnv.flatMap { environment[$0] }.flatMap { $0.isEmpty ? nil : $0 }
        enabled = kind == .simulated || apiKeyEnv == nil || apiKey != nil
        let modelsReader = reader.child("models")
        models = [:]
        for (name, modelReader) in try modelsReader.entries() {
            models[name] = try ModelInfo(name: name, reader: modelReader)
        }
        let latency = try reader.child("latencyMs").int(min: 0, default: 0)
        let rate = try reader.child("tokensPerSecond").double(min: 0, default: 0)
        let failureRate = try reader.child("failureRate").double(min: 0, default: 0)
        guard failureRate <= 1 else { throw reader.child("failureRate").error("a share from 0 to 1") }
        simulated = SimulatedProvider.Configuration(
            latency: .milliseconds(latency), tokensPerSecond: rate > 0 ? rate : nil, failureRate: failureRate
        )
    }
}

/// What a model is and costs.
public struct ModelInfo: Sendable, Hashable, Codable {
    public var name: String
    public var contextWindow: Int
    /// Request kinds it serves: chat, completion, embedding.
    public var capabilities: [String]
    /// Price per 1,000 input and output tokens, in credits.
    public var inputPricePer1K: Double
    public var outputPricePer1K: Double

    init(name: String, reader: YAMLReader) throws {
        self.name = name
        contextWindow = try reader.child("contextWindow").int(min: 1)
        let capabilitiesReader = reader.child("capabilities")
        capabilities = try capabilitiesReader.strings()
        for (index, capability) in capabilities.enumerated() where LLMRequest.Kind(rawValue: capability) == nil {
            throw YAMLReader(file: reader.file, node: nil, path: "\(capabilitiesReader.path)[\(index)]")
                .error("one of chat, completion, embedding (found '\(capability)')")
        }
        inputPricePer1K = try reader.child("price").child("input").double(min: 0)
        outputPricePer1K = try reader.child("price").child("output").double(min: 0, default: 0)
    }
}
