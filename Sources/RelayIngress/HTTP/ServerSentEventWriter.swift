import HTTPTypes
import Hummingbird
import NIOCore
import RelayJSON

/// Writes server-sent events (`event:` and `data:` lines) to a streamed response body.
struct ServerSentEventWriter {
    var writer: any ResponseBodyWriter

    mutating func send(_ data: JSONValue, event: String? = nil) async throws {
        try await send(raw: data.json, event: event)
    }

    mutating func send(raw data: String, event: String? = nil) async throws {
        var text = ""
        if let event { text += "event: \(event)\n" }
        text += "data: \(data)\n\n"
        try await writer.write(ByteBuffer(string: text))
    }

    static let headers: HTTPFields = [
        .contentType: "text/event-stream; charset=utf-8", .cacheControl: "no-cache", HTTPField.Name("x-accel-buffering")!: "no",
    ]
}
