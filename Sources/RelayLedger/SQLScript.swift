/// Splits a SQL file into statements at top-level semicolons, skipping comments and respecting quoted strings,
/// quoted identifiers and dollar-quoted bodies (`$$ … $$`, `$tag$ … $tag$`).
///
/// postgres-nio speaks the extended query protocol, which runs one statement per query.
enum SQLScript {
    static func statements(in sql: String) -> [String] {
        let chars = Array(sql.unicodeScalars)
        var statements: [String] = []
        var current = String.UnicodeScalarView()
        var index = 0

        func flush() {
            let text = String(current).trimmingWhitespace()
            if !text.isEmpty { statements.append(text) }
            current = String.UnicodeScalarView()
        }
        func startsWith(_ token: String, at position: Int) -> Bool {
            let scalars = Array(token.unicodeScalars)
            guard position + scalars.count <= chars.count else { return false }
            return Array(chars[position..<position + scalars.count]) == scalars
        }

        while index < chars.count {
            let char = chars[index]
            if startsWith("--", at: index) {
                while index < chars.count, chars[index] != "\n" { index += 1 }
            } else if startsWith("/*", at: index) {
                index += 2
                while index < chars.count, !startsWith("*/", at: index) { index += 1 }
                index = min(chars.count, index + 2)
            } else if char == "'" || char == "\"" {
                current.append(char)
                index += 1
                while index < chars.count {
                    current.append(chars[index])
                    index += 1
                    if chars[index - 1] == char {
                        if index < chars.count, chars[index] == char {
                            current.append(chars[index])
                            index += 1
                        } else {
                            break
                        }
                    }
                }
            } else if char == "$", let tag = dollarTag(chars, at: index) {
                let tagScalars = Array(tag.unicodeScalars)
                current.append(contentsOf: tagScalars)
                index += tagScalars.count
                while index < chars.count, !startsWith(tag, at: index) {
                    current.append(chars[index])
                    index += 1
                }
                if index < chars.count {
                    current.append(contentsOf: tagScalars)
                    index += tagScalars.count
                }
            } else if char == ";" {
                flush()
                index += 1
            } else {
                current.append(char)
                index += 1
            }
        }
        flush()
        return statements
    }

    /// `$$` or `$tag$` starting at `index`, if a dollar quote opens there.
    private static func dollarTag(_ chars: [Unicode.Scalar], at index: Int) -> String? {
        var end = index + 1
        while end < chars.count, chars[end] == "_" || chars[end].properties.isAlphabetic
            || (end > index + 1 && ("0"..."9").contains(chars[end]))
        {
            end += 1
        }
        guard end < chars.count, chars[end] == "$" else { return nil }
        return String(String.UnicodeScalarView(chars[index...end]))
    }
}

extension String {
    fileprivate func trimmingWhitespace() -> String {
        var text = Substring(self)
        while text.first?.isWhitespace == true { text = text.dropFirst() }
        while text.last?.isWhitespace == true { text = text.dropLast() }
        return String(text)
    }
}
