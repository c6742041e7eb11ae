import Foundation

/// Milliseconds since the epoch, the unit of every BullMQ timestamp.
enum QueueClock {
    static func now() -> Int {
        Int((Date().timeIntervalSince1970 * 1000).rounded(.down))
    }
}
