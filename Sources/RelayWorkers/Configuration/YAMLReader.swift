import Yams

/// Walks a YAML document, reporting every mistake with the file and key path.
struct YAMLReader {
    let file: String
    let node: Node?
    let path: String

    func child(_ key: String) -> YAMLReader {
        YAMLReader(file: file, node: node?.mapping?[key], path: path.isEmpty ? key : "\(path).\(key)")
    }

    var isMissing: Bool { node == nil || node?.null != nil }

    func error(_ expected: String) -> ConfigurationError {
        ConfigurationError(file: file, keyPath: path, expected: expected, found: isMissing ? "nothing" : describe(node!))
    }

    private func describe(_ node: Node) -> String {
        switch node {
        case .scalar(let scalar): return "'\(scalar.string)'"
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        }
    }

    /// The mapping's entries, in file order.
    func entries() throws -> [(String, YAMLReader)] {
        guard let mapping = node?.mapping else { throw error("a mapping") }
        return try mapping.map { key, _ in
            guard let name = key.string else { throw error("string keys") }
            return (name, child(name))
        }
    }

    func string() throws -> String {
        guard let value = node?.scalar?.string, !value.isEmpty, node?.null == nil else { throw error("a string") }
        return value
    }

    func string(default value: String) throws -> String { isMissing ? value : try string() }
    func optionalString() throws -> String? { isMissing ? nil : try string() }

    func int(min: Int = Int.min, default value: Int? = nil) throws -> Int {
        if isMissing, let value { return value }
        guard let number = node?.int, number >= min else {
            throw error(min == 1 ? "a positive integer" : min == 0 ? "a non-negative integer" : "an integer")
        }
        return number
    }

    func double(min: Double = 0, default value: Double? = nil) throws -> Double {
        if isMissing, let value { return value }
        guard let number = node?.float ?? node?.int.map(Double.init), number >= min else {
            throw error("a number of at least \(min)")
        }
        return number
    }

    func strings() throws -> [String] {
        guard let sequence = node?.sequence else { throw error("a list of strings") }
        return try sequence.enumerated().map { index, item in
            guard let text = item.scalar?.string, !text.isEmpty else {
                throw YAMLReader(file: file, node: item, path: "\(path)[\(index)]").error("a string")
            }
            return text
        }
    }
}
