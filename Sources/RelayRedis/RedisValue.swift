import NIOCore

/// A reply from Redis, as hiredis's reader parsed it (RESP2).
public enum RedisValue: Sendable, Hashable {
    /// A status reply such as `OK` or `QUEUED`.
    case simpleString(String)
    /// A binary-safe bulk string.
    case bulkString(ByteBuffer)
    case integer(Int)
    case array([RedisValue])
    /// The nil bulk string or nil array.
    case null
    /// An error reply. Commands sent one at a time throw it; pipelines and transactions return it in place.
    case error(RedisServerError)
}

extension RedisValue {
    /// The value as UTF-8 text, for status and bulk replies; integers are rendered in decimal.
    public var string: String? {
        switch self {
        case .simpleString(let text): return text
        case .bulkString(let buffer): return String(buffer: buffer)
        case .integer(let number): return String(number)
        default: return nil
        }
    }

    /// The value as an integer, for integer replies and bulk strings that hold a decimal integer.
    public var int: Int? {
        switch self {
        case .integer(let number): return number
        case .bulkString(let buffer): return Int(String(buffer: buffer))
        case .simpleString(let text): return Int(text)
        default: return nil
        }
    }

    /// The value as a floating point number, for bulk strings such as ZSCORE's reply.
    public var double: Double? {
        switch self {
        case .integer(let number): return Double(number)
        case .bulkString(let buffer): return Double(String(buffer: buffer))
        default: return nil
        }
    }

    /// The raw bytes of a bulk or status reply.
    public var bytes: [UInt8]? {
        switch self {
        case .bulkString(let buffer): return Array(buffer.readableBytesView)
        case .simpleString(let text): return Array(text.utf8)
        default: return nil
        }
    }

    /// The bulk string's buffer.
    public var buffer: ByteBuffer? {
        if case .bulkString(let buffer) = self { return buffer }
        return nil
    }

    public var array: [RedisValue]? {
        if case .array(let values) = self { return values }
        return nil
    }

    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// The error carried by an error reply.
    public var error: RedisServerError? {
        if case .error(let error) = self { return error }
        return nil
    }
}
