import AsyncHTTPClient
import RelayProviders
import Foundation
import NIOPosix
import Testing

/// A running `llmock` (PyPI): a fake OpenAI and Anthropic server with fault injection, on a free loopback port.
final class LLMock: @unchecked Sendable {
    let port: Int
    private let process: Process

    /// The llmock executable from `RELAY_LLMOCK` (bin/test sets it to the venv's), when present.
    static var executable: String? {
        guard let path = ProcessInfo.processInfo.environment["RELAY_LLMOCK"], FileManager.default.isExecutableFile(atPath: path)
        else { return nil }
        return path
    }

    static var isAvailable: Bool { executable != nil }

    init(_ arguments: [String] = []) async throws {
        port = Self.freePort()
        process = Process()
        process.executableURL = URL(fileURLWithPath: try #require(Self.executable))
        process.arguments = ["serve", "--host", "127.0.0.1", "--port", String(port), "--log-level", "warning"] + arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        // uvicorn takes a few seconds to start on a busy two-core machine.
        for _ in 0..<1500 {
            if Self.canConnect(port) { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        stop()
        Issue.record("llmock did not start on port \(port)")
    }

    var openAIBaseURL: String { "http://127.0.0.1:\(port)/v1" }
    var anthropicBaseURL: String { "http://127.0.0.1:\(port)/anthropic" }

    /// Kills the server: uvicorn's graceful SIGTERM waits for kept-alive connections, which the shared client holds.
    func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    deinit { stop() }

    static let httpClient = ProviderHTTPClient.make()

    private static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    private static func canConnect(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }
}
