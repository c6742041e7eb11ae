import Foundation
import RelayProviders
import Yams

/// `workers.yml`: pools, providers and routing, validated when loaded.
public struct WorkersConfiguration: Sendable {
    public var pools: [PoolConfiguration]
    public var providers: [String: ProviderConfiguration]
    /// Model → provider ids in fallback order, only enabled providers kept. `auto` picks among every provider.
    public var routes: [String: [String]]
    public var breaker: CircuitBreakerSettings

    /// Reads and validates a file; a mistake throws ``ConfigurationError`` naming the file and key path.
    public static func load(path: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> WorkersConfiguration {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ConfigurationError(file: path, keyPath: "", expected: "a readable YAML file")
        }
        return try parse(text, file: path, environment: environment)
    }

    public static func parse(_ text: String, file: String, environment: [String: String]) throws -> WorkersConfiguration {
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch {
            throw ConfigurationError(file: file, keyPath: "", expected: "valid YAML", found: "\(error)")
        }
        let root = YAMLReader(file: file, node: node, path: "")
        guard node?.mapping != nil else { throw root.error("a mapping with pools, providers and routing") }

        var pools: [PoolConfiguration] = []
        for (name, reader) in try root.child("pools").entries() {
            pools.append(try PoolConfiguration(name: name, reader: reader))
        }
        guard !pools.isEmpty else { throw root.child("pools").error("at least one pool") }
        let queues = pools.map(\.queue)
        if Set(queues).count != queues.count { throw root.child("pools").error("a different queue for each pool") }

        var providers: [String: ProviderConfiguration] = [:]
        for (id, reader) in try root.child("providers").entries() {
            providers[id] = try ProviderConfiguration(id: id, reader: reader, environment: environment)
        }

        var routes: [String: [String]] = [:]
        for (model, reader) in try root.child("routing").entries() {
            let chain = try reader.strings()
            for (index, id) in chain.enumerated() {
                guard let provider = providers[id] else {
                    throw YAMLReader(file: file, node: nil, path: "\(reader.path)[\(index)]")
                        .error("a provider defined under providers (found '\(id)')")
                }
                if model != "auto", provider.models[model] == nil {
                    throw YAMLReader(file: file, node: nil, path: "\(reader.path)[\(index)]")
                        .error("a provider that lists model '\(model)' under its models")
                }
            }
            let enabled = chain.filter { providers[$0]?.enabled == true }
            guard !enabled.isEmpty else {
                throw reader.error("at least one enabled provider (set the API key variables of \(chain.joined(separator: ", ")))")
            }
            routes[model] = enabled
        }
        let breakerReader = root.child("breaker")
        let defaults = CircuitBreakerSettings()
        let breaker = CircuitBreakerSettings(
            timeout: try breakerReader.child("timeout").int(min: 1, default: defaults.timeout),
            errorThresholdPercentage: try breakerReader.child("errorThresholdPercentage").int(min: 1, default: defaults.errorThresholdPercentage),
            rollingCountTimeout: try breakerReader.child("rollingCountTimeout").int(min: 1, default: defaults.rollingCountTimeout),
            rollingCountBuckets: try breakerReader.child("rollingCountBuckets").int(min: 1, default: defaults.rollingCountBuckets),
            volumeThreshold: try breakerReader.child("volumeThreshold").int(min: 0, default: defaults.volumeThreshold),
            resetTimeout: try breakerReader.child("resetTimeout").int(min: 1, default: defaults.resetTimeout)
        )
        return WorkersConfiguration(pools: pools, providers: providers, routes: routes, breaker: breaker)
    }

    /// The pool that runs a request kind (the first that lists it).
    public func pool(for kind: LLMRequest.Kind) -> PoolConfiguration? {
        pools.first { $0.kinds.contains(kind) }
    }

    /// Provider ids for a model in fallback order; for `auto`, every enabled provider serving `kind`.
    public func chain(for model: String, kind: LLMRequest.Kind) -> [String]? {
        if let route = routes[model] { return route }
        guard model == "auto" else { return nil }
        let serving = providers.values.filter { provider in
            provider.enabled && provider.models.values.contains { $0.capabilities.contains(kind.rawValue) }
        }
        return serving.isEmpty ? nil : serving.map(\.id).sorted()
    }
}
