import CHiredis
import NIOCore

/// A Redis command, encoded once into the wire format by hiredis's command formatter.
///
/// ```swift
/// let command = RedisCommand("SET", "greeting", "hello")
/// ```
public struct RedisCommand: Sendable {
    /// The command's name as given (its first argument); safe to log, unlike its arguments.
    public let name: String
    /// The encoded request, ready to be written to a connection.
    public let encoded: ByteBuffer

    public init(_ name: String, _ arguments: any RedisArgumentConvertible...) {
        self.init(name, arguments: arguments)
    }

    public init(_ name: String, arguments: [any RedisArgumentConvertible]) {
        self.name = name
        var storage: [UInt8] = []
        storage.reserveCapacity(16 + name.utf8.count + arguments.count * 16)
        var lengths: [Int] = []
        lengths.reserveCapacity(arguments.count + 1)
        name.appendRedisArgument(to: &storage)
        lengths.append(storage.count)
        for argument in arguments {
            let before = storage.count
            argument.appendRedisArgument(to: &storage)
            lengths.append(storage.count - before)
        }
        self.encoded = Self.format(storage: storage, lengths: lengths)
    }

    private static let allocator = ByteBufferAllocator()

    private static func format(storage: [UInt8], lengths: [Int]) -> ByteBuffer {
        var target: UnsafeMutablePointer<CChar>?
        var storage = storage
        storage.append(0)
        let length = storage.withUnsafeBufferPointer { bytes -> Int32 in
            let base = UnsafeRawPointer(bytes.baseAddress!)
            var argv: [UnsafePointer<CChar>?] = []
            argv.reserveCapacity(lengths.count)
            var offset = 0
            for length in lengths {
                argv.append((base + offset).assumingMemoryBound(to: CChar.self))
                offset += length
            }
            return redisFormatCommandArgv(&target, Int32(lengths.count), &argv, lengths)
        }
        guard length >= 0, let target else {
            fatalError("hiredis could not allocate memory to format a command")
        }
        defer { redisFreeCommand(target) }
        var buffer = allocator.buffer(capacity: Int(length))
        buffer.writeBytes(UnsafeRawBufferPointer(start: target, count: Int(length)))
        return buffer
    }
}
