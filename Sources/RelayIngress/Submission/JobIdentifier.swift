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
        let high = seed.0
        let low = mix(count &+ seed.1)
        return format(high: high & 0xFFFF_FFFF_FFFF_0FFF | 0x0000_0000_0000_4000, low: low & 0x3FFF_FFFF_FFFF_FFFF | 0x8000_0000_0000_0000)
    }

    /// SplitMix64's finaliser: a bijection of 64-bit values.
    private static func mix(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    private static func format(high: UInt64, low: UInt64) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var bytes = [UInt8]()
        bytes.reserveCapacity(36)
        for (index, value) in [high, low].enumerated() {
            for nibble in stride(from: 60, through: 0, by: -4) {
                let position = index * 16 + (60 - nibble) / 4
                if position == 8 || position == 12 || position == 16 || position == 20 { bytes.append(UInt8(ascii: "-")) }
                bytes.append(digits[Int((value >> UInt64(nibble)) & 0xF)])
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
