import BullQueue

/// The handlers `relay queue work` offers, for interop tests, benchmarks and operators.
enum BuiltInHandler {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    static func run(_ handler: QueueWork.Handler, _ context: JobContext) async throws -> JSONValue {
        let data = context.job.data
        switch handler {
        case .echo:
            return data
        case .noop:
            return .null
        case .fail:
            let message = data["message"]?.stringValue ?? "failed by the fail handler"
            if data["unrecoverable"]?.boolValue == true { throw UnrecoverableError(message) }
            throw Failure(description: message)
        case .sleep:
            try await Task.sleep(for: .milliseconds(data["ms"]?.intValue ?? 0))
            return data
        case .progress:
            for progress in data["progress"]?.arrayValue ?? [] { try await context.updateProgress(progress) }
            for line in data["logs"]?.arrayValue ?? [] { try await context.log(line.stringValue ?? line.json) }
            return data
        }
    }
}
