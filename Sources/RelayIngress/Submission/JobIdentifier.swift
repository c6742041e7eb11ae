import Foundation
import Synchronization

/// Job ids in the UUID shape (version 4 bits set), made without a system call: Foundation's `UUID()` opens, reads
/// and closes `/dev/urandom` each time on Linux. 64 random bits drawn once per process, then a counter spread by
/// a bijective mix (SplitMix64), so ids never repeat within a process and collide across processes with the
/// odds of random 64-bit values.
enum JobIdentifier {
    private static let seed: (UInt64, UInt64) = {
        var generator = SystemRandomNumberGenerator()
        return (generator.next(), generator.next())
    }()
    private static let counter = Atomic<UInt64>(0)

    static func next() -> String {
        let count = counter.wrappingAdd(1, ordering: .relaxed).newValue
        let high = (seed.0 & 0xFFFF_FFFF_FFFF_0FFF | 0x0000_0000_0000_4000).bigEndian
        let low = (mix(count &+ seed.1) & 0x3FFF_FFFF_FFFF_FFFF | 0x8000_0000_0000_0000).bigEndian
        let uuid = withUnsafeBytes(of: (high, low)) { $0.load(as: uuid_t.self) }
        return UUID(uuid: uuid).uuidString.lowercased()
    }

    /// SplitMix64's finaliser: a bijection of 64-bit values.
    private static func mix(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
