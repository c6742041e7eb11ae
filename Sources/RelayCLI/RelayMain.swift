import ArgumentParser
import Foundation
import NIOCore
import NIOPosix

/// Starts ``Relay``. Long-running commands run Swift concurrency on NIO's event loops
/// (`NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor`): a task resumed by a
/// Redis reply or a socket read then goes on on the thread that read it, instead of waking a thread of the default
/// pool for every message. Their code must never block a thread, which holds for everything they run.
/// `RELAY_EVENT_LOOP_EXECUTOR=0` keeps Swift's default executor, for comparison.
@main
enum RelayMain {
    static let onEventLoops: Set<String> = ["serve", "work", "dev", "bench"]

    static func main() async {
        if let command = CommandLine.arguments.dropFirst().first, onEventLoops.contains(command),
            ProcessInfo.processInfo.environment["RELAY_EVENT_LOOP_EXECUTOR"] != "0"
        {
            NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
        }
        await Relay.main()
    }
}
