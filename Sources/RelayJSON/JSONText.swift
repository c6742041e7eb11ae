import Foundation

/// Reading and writing JSON text for ``JSONValue``: ``JSONParser`` parses, and a small writer of our own prints
/// compact JSON with sorted keys. Both are several times faster than going through `Codable`, whose decoder tries
/// each type in turn and throws for every miss (measured: a third of the ingress's CPU at load), or through
/// `JSONSerialization`'s Foundation objects.
enum JSONText {
    static func parse(_ text: String) throws -> JSONValue {
        try JSONParser.parse(text)
    }

    static func write(_ value: JSONValue, to text: inout String) {
        switch value {
        case .null: text += "null"
        case .bool(let flag): text += flag ? "true" : "false"
        case .int(let number): text += String(number)
        case .double(let number):
            if !number.isFinite {
                text += "null"
            } else if number.rounded() == number, abs(number) < 9.0e15 {
                text += String(Int(number))
            } else {
                text += "\(number)"
            }
        case .string(let string): writeString(string, to: &text)
        case .array(let items):
            text += "["
            for (index, item) in items.enumerated() {
                if index > 0 { text += "," }
                write(item, to: &text)
            }
            text += "]"
        case .object(let object):
            text += "{"
            for (index, key) in object.keys.sorted().enumerated() {
                if index > 0 { text += "," }
                writeString(key, to: &text)
                text += ":"
                write(object[key]!, to: &text)
            }
            text += "}"
        }
    }

    /// A JSON string literal: quotes, backslashes and control characters escaped; `/` and non-ASCII left as they are.
    static func writeString(_ string: String, to text: inout String) {
        text += "\""
        // Most strings need no escape: copy them whole, and only walk the scalars of those that do.
        if string.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
            for scalar in string.unicodeScalars {
                switch scalar {
                case "\"": text += "\\\""
                case "\\": text += "\\\\"
                case "\n": text += "\\n"
                case "\r": text += "\\r"
                case "\t": text += "\\t"
                case "\u{08}": text += "\\b"
                case "\u{0C}": text += "\\f"
                case _ where scalar.value < 0x20:
                    let hex = String(scalar.value, radix: 16)
                    text += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                default: text.unicodeScalars.append(scalar)
                }
            }
        } else {
            text += string
        }
        text += "\""
    }
}

extension JSONValue {
    /// `string` as a JSON string literal, quotes included.
    public static func quoted(_ string: String) -> String {
        var text = ""
        JSONText.writeString(string, to: &text)
        return text
    }
}
