import AsyncHTTPClient
import Foundation
import Glibc
import NIOCore
import NIOHTTP1

/// A `relay` process the benchmarks start (this same executable), stopped with SIGTERM when done.
struct RelayChildProcess {
    let process: Process
    let port: Int

    static func start(arguments: [String], environment: [String: String], port: Int, log: String) throws -> RelayChildProcess {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        process.arguments = arguments + ["--port", String(port)]
        var env = ProcessInfo.processInfo.environment
        for (key, value) in environment { env[key] = value }
        env["OPENAI_API_KEY"] = nil
        env["ANTHROPIC_API_KEY"] = nil
        process.environment = env
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let handle = FileHandle(forWritingAtPath: log)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        return RelayChildProcess(process: process, port: port)
    }

    /// Waits until `/healthz` answers.
    func waitUntilHealthy(timeout: Duration = .seconds(30)) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/healthz")
            if let response = try? await HTTPClient.shared.execute(request, timeout: .seconds(1)), response.status == .ok {
                return
            }
            guard process.isRunning else { throw BenchError("relay \(process.arguments?.first ?? "") exited early") }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw BenchError("relay did not become healthy on port \(port)")
    }

    /// The resident set size of the process, in bytes (from /proc).
    var residentBytes: Int {
        guard let status = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
            let kilobytes = Int(line.split(separator: " ").dropFirst().first ?? "")
        else { return 0 }
        return kilobytes * 1024
    }

    func stop() {
        process.terminate()
        process.waitUntilExit()
    }

    static func freePort() throws -> Int {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(socket, pointer, length) == 0 && getsockname(socket, pointer, &length) == 0
            }
        }
        guard bound else { throw BenchError("could not find a free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

/// Whether something answers HTTP on a loopback port.
struct HTTPProbe {
    let port: Int

    func answers() async -> Bool {
        let request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/v1/models")
        return (try? await HTTPClient.shared.execute(request, timeout: .seconds(1))) != nil
    }
}

/// A benchmark that could not run.
struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
