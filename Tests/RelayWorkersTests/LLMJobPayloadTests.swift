import Foundation
import RelayJSON
import RelayProviders
import RelayWorkers
import Testing

@Suite("Job payloads as JSON")
struct LLMJobPayloadTests {
    static let payloads: [LLMJobPayload] = [
        LLMJobPayload(userId: "u1", request: LLMRequest(kind: .chat, model: "m", messages: [ChatMessage(role: "user", content: "hi \"there\"\n")], maxTokens: 8, temperature: 0.5), provider: "auto"),
        LLMJobPayload(userId: "u2", request: LLMRequest(kind: .completion, model: "m", prompt: "once", temperature: 1)),
        LLMJobPayload(userId: "u3", request: LLMRequest(kind: .embedding, model: "e", input: ["a", "b"], extra: ["dimensions": 3, "user": "x"])),
    ]

    @Test("the JSON form is the Codable form, both ways", arguments: payloads)
    func sameAsCodable(_ payload: LLMJobPayload) throws {
        let codable = try JSONValue(json: String(decoding: try JSONEncoder().encode(payload), as: UTF8.self))
        #expect(payload.json.json == codable.json)
        #expect(try LLMJobPayload(json: codable) == payload)
        #expect(try JSONDecoder().decode(LLMJobPayload.self, from: Data(payload.json.json.utf8)) == payload)
    }

    @Test("data without a user, kind or with wrong types is refused")
    func refusals() {
        let bad: [JSONValue] = [
            [:], ["userId": "u"], ["userId": "u", "request": ["model": "m"]],
            ["userId": "u", "request": ["kind": "chat", "model": "m", "messages": "hi"]],
            ["userId": "u", "request": ["kind": "chat", "model": "m", "maxTokens": "8"]],
            ["userId": "u", "request": ["kind": "video", "model": "m"]],
        ]
        for data in bad { #expect(throws: LLMRequestFormatError.self, "\(data.json)") { try LLMJobPayload(json: data) } }
    }
}
