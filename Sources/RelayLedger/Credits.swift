/// An amount of credits, held exactly as integer micro-credits (1 credit = 1,000,000 micro-credits).
public struct Credits: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    /// Micro-credits per credit.
    public static let scale: Int64 = 1_000_000

    /// The amount in micro-credits.
    public var micros: Int64

    public init(micros: Int64) {
        self.micros = micros
    }

    /// Whole credits.
    public init(_ credits: Int64) {
        self.micros = credits * Self.scale
    }

    /// Parses a decimal amount of credits such as `10`, `-2.5` or `0.000001`, exactly (at most 6 decimals).
    public init?(parsing text: String) {
        var text = Substring(text.trimmingWhitespace())
        var negative = false
        if let sign = text.first, sign == "-" || sign == "+" {
            negative = sign == "-"
            text = text.dropFirst()
        }
        let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard let whole = parts.first, !whole.isEmpty || parts.count == 2,
            whole.allSatisfy(\.isASCIIDigit), whole.count <= 12
        else { return nil }
        var fraction = parts.count == 2 ? parts[1] : ""
        guard fraction.allSatisfy(\.isASCIIDigit), fraction.count <= 6, !(whole.isEmpty && fraction.isEmpty) else {
            return nil
        }
        fraction += String(repeating: "0", count: 6 - fraction.count)
        let micros = (Int64(whole) ?? 0) * Self.scale + (Int64(fraction) ?? 0)
        self.micros = negative ? -micros : micros
    }

    /// `12.5`, `-0.000001`, `3`: the shortest exact decimal.
    public var description: String {
        let magnitude = micros.magnitude
        let whole = magnitude / UInt64(Self.scale)
        var fraction = String(magnitude % UInt64(Self.scale))
        fraction = String(repeating: "0", count: 6 - fraction.count) + fraction
        while fraction.last == "0" { fraction.removeLast() }
        return (micros < 0 ? "-" : "") + String(whole) + (fraction.isEmpty ? "" : "." + fraction)
    }

    public static func < (lhs: Credits, rhs: Credits) -> Bool { lhs.micros < rhs.micros }
    public static func + (lhs: Credits, rhs: Credits) -> Credits { Credits(micros: lhs.micros + rhs.micros) }
    public static func - (lhs: Credits, rhs: Credits) -> Credits { Credits(micros: lhs.micros - rhs.micros) }
    public static let zero = Credits(micros: 0)
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}

extension String {
    fileprivate func trimmingWhitespace() -> Substring {
        var text = Substring(self)
        while text.first?.isWhitespace == true { text = text.dropFirst() }
        while text.last?.isWhitespace == true { text = text.dropLast() }
        return text
    }
}
