import ArgumentParser
import Foundation
import RelayIngress

/// Where the ingress listens: `--host`, `--port` (default `RELAY_PORT`, else 3003).
struct ServeOptions: ParsableArguments {
    @Option(help: "Address to listen on.")
    var host: String = "127.0.0.1"

    @Option(help: "Port to listen on (default: $RELAY_PORT, else 3003).")
    var port: Int?

    @Option(help: "Requests per minute per user without an override (default: $RELAY_RPM, else no limit).")
    var rpm: Int?

    @Option(help: "Tokens per minute per user without an override (default: $RELAY_TPM, else no limit).")
    var tpm: Int?

    @Option(help: "Seconds between pings of each WebSocket peer; one that misses a pong is dropped (default: $RELAY_WS_PING_INTERVAL, else 30).")
    var pingInterval: Int?

    func configuration() throws -> IngressConfiguration {
        let environmentPort = ProcessInfo.processInfo.environment["RELAY_PORT"]
        let chosen: Int
        if let port {
            chosen = port
        } else if let environmentPort {
            guard let parsed = Int(environmentPort) else { throw ValidationError("RELAY_PORT is not a number") }
            chosen = parsed
        } else {
            chosen = 3003
        }
        guard (1...65535).contains(chosen) else { throw ValidationError("the port must be between 1 and 65535") }
        let environment = ProcessInfo.processInfo.environment
        let limit = { (flag: Int?, variable: String) throws -> Int? in
            guard let value = flag ?? environment[variable].flatMap({ Int($0) }) else { return nil }
            guard value >= 0 else { throw ValidationError("limits cannot be negative") }
            return value == 0 ? nil : value
        }
        var ping = pingInterval ?? 30
        if pingInterval == nil, let variable = environment["RELAY_WS_PING_INTERVAL"] {
            guard let parsed = Int(variable) else { throw ValidationError("RELAY_WS_PING_INTERVAL is not a number") }
            ping = parsed
        }
        guard ping >= 1 else { throw ValidationError("the ping interval is at least 1 second") }
        return IngressConfiguration(
            host: host, port: chosen, pingInterval: .seconds(ping),
            defaultLimits: .init(rpm: try limit(rpm, "RELAY_RPM"), tpm: try limit(tpm, "RELAY_TPM"))
        )
    }
}
