import ArgumentParser
import Foundation
import RelayWorkers

/// `--config`: the workers file (default `RELAY_WORKERS_CONFIG`, else `workers.yml`).
struct WorkersOptions: ParsableArguments {
    @Option(name: .customLong("config"), help: "Path of workers.yml (default: $RELAY_WORKERS_CONFIG, else workers.yml).")
    var path: String?

    /// Loads and validates the file; a mistake is reported with the file and key path, and the command fails.
    func load() throws -> WorkersConfiguration {
        let path = self.path ?? ProcessInfo.processInfo.environment["RELAY_WORKERS_CONFIG"] ?? "workers.yml"
        do {
            return try WorkersConfiguration.load(path: path)
        } catch let error as ConfigurationError {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode(78)
        }
    }
}
