import HTTPTypes
import Hummingbird
import NIOCore
import RelayJSON

/// Writes server-sent events (`event:` and `data:` lines) to a streamed response body.
struct ServerSentEventWriter {
    var writer: any ResponseBodyWriter
    /// While true, events are kept and go out together (one write) once it is false again: set while more
    /// messages are already at hand.
    var holding = false
    private var pending = ""

    init(writer: any ResponseBodyWriter) {
        self.writer = writer
    }

    mutating func send(_ data: JSONValue, event: String? = nil) async throws {
        try await send(raw: data.json, event: event)
    }

    mutating func send(raw data: String, event: String? = nil) async throws {
        if let event { pending += "event: \(event)\n" }
        pending += "data: \(data)\n\n"
        if !holding { try await flush() }
    }

    /// Writes the events kept so far.
    mutating func flush() async throws {
        guard !pending.isEmpty else { return }
        let text = pending
        pending = ""
        try await writer.write(ByteBuffer(string: text))
    }

    static let headers: HTTPFields = [
        .contentType: "text/event-stream; charset=utf-8", .cacheControl: "no-cache", HTTPField.Name("x-accel-buffering")!: "no",
    ]
}
