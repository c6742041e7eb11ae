import ArgumentParser

/// A duration such as `500ms`, `45s`, `30m`, `12h` or `7d` (`--older-than`).
struct AgeArgument: ExpressibleByArgument, Sendable, CustomStringConvertible {
    let milliseconds: Int
    let description: String

    init?(argument: String) {
        let units: [(String, Int)] = [("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000), ("d", 86_400_000)]
        guard let (suffix, factor) = units.first(where: { unit in
            argument.hasSuffix(unit.0) && Int(argument.dropLast(unit.0.count)) != nil
        }), let value = Int(argument.dropLast(suffix.count)), value >= 0 else { return nil }
        let (product, overflow) = value.multipliedReportingOverflow(by: factor)
        guard !overflow else { return nil }
        milliseconds = product
        description = argument
    }
}
