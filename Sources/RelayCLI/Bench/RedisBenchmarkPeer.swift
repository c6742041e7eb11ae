import ArgumentParser
import Foundation
import RelayRedis

/// Runs Redis's own `redis-benchmark` against the same server and reads its SET rate.
struct RedisBenchmarkPeer {
    let configuration: RedisConfiguration
    let requests: Int
    let valueSize: Int

    func run(pipeline: Int, clients: Int) throws -> Double {
        var arguments = [
            "-h", configuration.host, "-p", String(configuration.port), "-t", "set", "-q",
            "-n", String(requests), "-P", String(pipeline), "-c", String(clients), "-d", String(valueSize),
            "--dbnum", String(configuration.database),
        ]
        if let password = configuration.password {
            if let username = configuration.username { arguments += ["--user", username] }
            arguments += ["-a", password, "--no-auth-warning"]
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["redis-benchmark"] + arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        guard process.terminationStatus == 0, let rate = Self.rate(in: text) else {
            throw ValidationError("redis-benchmark did not report a SET rate (is redis-tools installed?)")
        }
        return rate
    }

    /// Reads `SET: 123456.79 requests per second` (the last one, as -q rewrites the line as it goes).
    static func rate(in output: String) -> Double? {
        let pieces = output.split(whereSeparator: { $0 == "\r" || $0 == "\n" })
        for piece in pieces.reversed() {
            guard let range = piece.firstRange(of: "SET: ") else { continue }
            let number = piece[range.upperBound...].prefix { $0.isNumber || $0 == "." }
            if let rate = Double(number) { return rate }
        }
        return nil
    }
}
