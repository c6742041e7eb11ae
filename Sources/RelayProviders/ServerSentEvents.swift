import NIOCore

/// One server-sent event: its `event:` name (nil when absent) and its joined `data:` lines.
struct ServerSentEvent: Sendable, Hashable {
    var name: String?
    var data: String
}

/// Splits a `text/event-stream` body, arriving in arbitrary chunks, into events.
struct ServerSentEventParser {
    private var pending: [UInt8] = []
    private var name: String?
    private var data: [String] = []

    /// Feeds bytes and returns the events they completed.
    mutating func feed(_ buffer: ByteBuffer) -> [ServerSentEvent] {
        pending.append(contentsOf: buffer.readableBytesView)
        var events: [ServerSentEvent] = []
        var lineStart = 0
        var index = 0
        while index < pending.count {
            if pending[index] == UInt8(ascii: "\n") {
                var lineEnd = index
                if lineEnd > lineStart, pending[lineEnd - 1] == UInt8(ascii: "\r") { lineEnd -= 1 }
                if let event = line(String(decoding: pending[lineStart..<lineEnd], as: UTF8.self)) {
                    events.append(event)
                }
                lineStart = index + 1
            }
            index += 1
        }
        pending.removeFirst(lineStart)
        return events
    }

    /// Whatever a stream cut without its final blank line left.
    mutating func finish() -> ServerSentEvent? {
        if !pending.isEmpty, let event = line(String(decoding: pending, as: UTF8.self)) { return event }
        pending.removeAll()
        return line("")
    }

    private mutating func line(_ line: String) -> ServerSentEvent? {
        if line.isEmpty {
            defer {
                name = nil
                data = []
            }
            guard !data.isEmpty || name != nil else { return nil }
            return ServerSentEvent(name: name, data: data.joined(separator: "\n"))
        }
        if line.hasPrefix(":") { return nil }
        let field: Substring
        var value: Substring
        if let colon = line.firstIndex(of: ":") {
            field = line[..<colon]
            value = line[line.index(after: colon)...]
            if value.hasPrefix(" ") { value = value.dropFirst() }
        } else {
            field = Substring(line)
            value = ""
        }
        switch field {
        case "event": name = String(value)
        case "data": data.append(String(value))
        default: break
        }
        return nil
    }
}
