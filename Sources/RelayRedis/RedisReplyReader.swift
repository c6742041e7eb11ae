import CHiredis
import NIOCore

/// Parses RESP replies from a byte stream with hiredis's reply reader.
///
/// Not thread-safe: a connection's channel handler owns one and uses it on its event loop.
final class RedisReplyReader {
    private let reader: UnsafeMutablePointer<redisReader>
    private let allocator = ByteBufferAllocator()

    init() {
        guard let reader = redisReaderCreate() else {
            fatalError("hiredis could not allocate a reply reader")
        }
        self.reader = reader
    }

    deinit {
        redisReaderFree(reader)
    }

    /// Hands bytes received from the server to the reader.
    func feed(_ buffer: ByteBuffer) throws {
        let status = buffer.withUnsafeReadableBytes { bytes -> Int32 in
            guard let base = bytes.baseAddress, bytes.count > 0 else { return REDIS_OK }
            return redisReaderFeed(reader, base.assumingMemoryBound(to: CChar.self), bytes.count)
        }
        if status != REDIS_OK { throw readerError() }
    }

    /// The next complete reply, or nil when more bytes are needed.
    func next() throws -> RedisValue? {
        var reply: UnsafeMutableRawPointer?
        guard redisReaderGetReply(reader, &reply) == REDIS_OK else { throw readerError() }
        guard let reply else { return nil }
        defer { freeReplyObject(reply) }
        return value(of: reply.assumingMemoryBound(to: redisReply.self))
    }

    private func readerError() -> RedisClientError {
        let message = withUnsafeBytes(of: reader.pointee.errstr) { bytes in
            String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
        }
        return RedisClientError(.protocolError, "the reply could not be parsed: \(message)")
    }

    private func value(of reply: UnsafeMutablePointer<redisReply>) -> RedisValue {
        let node = reply.pointee
        switch node.type {
        case REDIS_REPLY_STRING:
            var buffer = allocator.buffer(capacity: node.len)
            buffer.writeBytes(UnsafeRawBufferPointer(start: node.str, count: node.len))
            return .bulkString(buffer)
        case REDIS_REPLY_STATUS:
            return .simpleString(text(node))
        case REDIS_REPLY_ERROR:
            return .error(RedisServerError(message: text(node)))
        case REDIS_REPLY_INTEGER:
            return .integer(Int(node.integer))
        case REDIS_REPLY_ARRAY:
            var values: [RedisValue] = []
            values.reserveCapacity(node.elements)
            for index in 0..<node.elements {
                values.append(value(of: node.element[index]!))
            }
            return .array(values)
        default:
            return .null
        }
    }

    private func text(_ node: redisReply) -> String {
        String(decoding: UnsafeRawBufferPointer(start: node.str, count: node.len), as: UTF8.self)
    }
}
