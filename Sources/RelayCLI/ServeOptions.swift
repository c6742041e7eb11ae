import ArgumentParser
import Foundation
import RelayIngress

/// Where the ingress listens: `--host`, `--port` (default `RELAY_PORT`, else 3003).
struct ServeOptions: ParsableArguments {
    @Option(help: "Address to listen on.")
    var host: String = "127.0.0.1"

    @Option(help: "Port to listen on (default: $RELAY_PORT, else 3003).")
    var port: Int?

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
        return IngressConfiguration(host: host, port: chosen)
    }
}
