import NIOCore

/// A value that can stand as one argument of a Redis command.
public protocol RedisArgumentConvertible: Sendable {
    /// Appends the argument's bytes to `bytes`.
    func appendRedisArgument(to bytes: inout [UInt8])
}

extension String: RedisArgumentConvertible {
    public func appendRedisArgument(to bytes: inout [UInt8]) {
        bytes.append(contentsOf: utf8)
    }
}

extension Substring: RedisArgumentConvertible {
    public func appendRedisArgument(to bytes: inout [UInt8]) {
        bytes.append(contentsOf: utf8)
    }
}

extension Int: RedisArgumentConvertible {
    public func appendRedisArgument(to bytes: inout [UInt8]) {
        bytes.append(contentsOf: String(self).utf8)
    }
}

extension Int64: RedisArgumentConvertible {
    public func appendRedisArgument(to bytes: inout [UInt8]) {
        bytes.append(contentsOf: String(self).utf8)
    }
}

extension UInt64: RedisArgumentConvertible {
    public func appendRedisArgument(to bytes: inout [UInt8]) {
        bytes.append(contentsOf: String(self).utf8)
    }
}

extension Double: RedisArgumentConvertible {
    public func appendRedisArgument(to bytes: inout [UInt8]) {
        if isInfinite {
            bytes.append(contentsOf: (self < 0 ? "-inf" : "+inf").utf8)
        } else {
            bytes.append(contentsOf: String(self).utf8)
        }
    }
}

extension Array: RedisArgumentConvertible where Element == UInt8 {
    public func appendRedisArgument(to bytes: inout [UInt8]) {
        bytes.append(contentsOf: self)
    }
}

extension ByteBuffer: RedisArgumentConvertible {
    public func appendRedisArgument(to bytes: inout [UInt8]) {
        bytes.append(contentsOf: readableBytesView)
    }
}
