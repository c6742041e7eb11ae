import RelayJSON
import RelayProviders

/// Reading request fields common to every API, with INVALID_REQUEST errors that name the field.
enum RequestParsing {
    /// The text of a message's `content`: a string, or an array of parts whose `text` parts are joined.
    static func text(of content: JSONValue?, field: String) throws -> String {
        switch content {
        case .string(let text): return text
        case .array(let parts):
            var texts: [String] = []
            for (index, part) in parts.enumerated() {
                if case .string(let text) = part { texts.append(text); continue }
                guard let type = part["type"]?.stringValue else {
                    throw IngressError(.invalidRequest, "\(field)[\(index)] must have a 'type'")
                }
                guard type == "text", let text = part["text"]?.stringValue else {
                    throw IngressError(.invalidRequest, "\(field)[\(index)]: only text content is supported (found '\(type)')")
                }
                texts.append(text)
            }
            return texts.joined()
        case .null, nil: return ""
        default: throw IngressError(.invalidRequest, "'\(field)' must be a string or an array of content parts")
        }
    }

    /// Chat messages from an array of `{role, content}`.
    static func messages(_ value: JSONValue?, field: String = "messages", allowEmpty: Bool = false) throws -> [ChatMessage] {
        guard case .array(let items) = value else {
            throw IngressError(.invalidRequest, "'\(field)' must be an array of messages")
        }
        guard allowEmpty || !items.isEmpty else { throw IngressError(.invalidRequest, "'\(field)' must not be empty") }
        return try items.enumerated().map { index, item in
            guard case .object = item else { throw IngressError(.invalidRequest, "\(field)[\(index)] must be an object") }
            guard let role = item["role"]?.stringValue, !role.isEmpty else {
                throw IngressError(.invalidRequest, "\(field)[\(index)].role must be a string")
            }
            let allowed = ["system", "developer", "user", "assistant", "tool"]
            guard allowed.contains(role) else {
                throw IngressError(.invalidRequest, "\(field)[\(index)].role must be one of \(allowed.joined(separator: ", "))")
            }
            let content = item["content"]
            if role != "assistant", content == nil || content == .null {
                throw IngressError(.invalidRequest, "\(field)[\(index)].content is required")
            }
            return ChatMessage(role: role, content: try text(of: content, field: "\(field)[\(index)].content"))
        }
    }

    /// Texts to embed: a string or an array of strings.
    static func inputs(_ value: JSONValue?, field: String = "input") throws -> [String] {
        switch value {
        case .string(let text): return [text]
        case .array(let items) where !items.isEmpty && items.count <= 2048:
            return try items.enumerated().map { index, item in
                guard let text = item.stringValue else {
                    throw IngressError(.invalidRequest, "\(field)[\(index)] must be a string")
                }
                return text
            }
        default: throw IngressError(.invalidRequest, "'\(field)' must be a string or an array of 1 to 2048 strings")
        }
    }

    static func model(_ value: JSONValue?) throws -> String {
        guard let model = value?.stringValue, !model.isEmpty, model.utf8.count <= 256 else {
            throw IngressError(.invalidRequest, "'model' must be a non-empty string")
        }
        return model
    }

    static func positiveInt(_ value: JSONValue?, field: String, max: Int = 1_000_000) throws -> Int? {
        guard let value, value != .null else { return nil }
        guard let number = value.intValue, number >= 1, number <= max else {
            throw IngressError(.invalidRequest, "'\(field)' must be an integer from 1 to \(max)")
        }
        return number
    }

    static func temperature(_ value: JSONValue?, field: String = "temperature", max: Double = 2) throws -> Double? {
        switch value {
        case nil, .null?: return nil
        case .int(let number)?: if Double(number) >= 0, Double(number) <= max { return Double(number) }
        case .double(let number)?: if number >= 0, number <= max { return number }
        default: break
        }
        throw IngressError(.invalidRequest, "'\(field)' must be a number from 0 to \(max)")
    }

    static func bool(_ value: JSONValue?, field: String, default defaultValue: Bool) throws -> Bool {
        switch value {
        case nil, .null?: return defaultValue
        case .bool(let flag)?: return flag
        default: throw IngressError(.invalidRequest, "'\(field)' must be a boolean")
        }
    }
}
