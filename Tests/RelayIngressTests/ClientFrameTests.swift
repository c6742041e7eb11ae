@testable import RelayIngress
import RelayProviders
import Testing

@Suite("WebSocket client messages")
struct ClientFrameTests {
    @Test("a chat request is read with its defaults")
    func chat() throws {
        let frame = try ClientFrame.parse(#"{"id":"r1","type":"chat","model":"m","messages":[{"role":"user","content":"hi"}],"maxTokens":5}"#)
        guard case .request(let id, let request, let provider, let stream) = frame else { Issue.record("not a request"); return }
        #expect(id == "r1" && provider == nil && stream)
        #expect(request == LLMRequest(kind: .chat, model: "m", messages: [ChatMessage(role: "user", content: "hi")], maxTokens: 5))
    }

    @Test("embedding input may be one string; resume defaults to after 0")
    func shorthands() throws {
        guard case .request(_, let request, _, _) = try ClientFrame.parse(#"{"id":"e","type":"embedding","model":"m","input":"x"}"#) else {
            Issue.record("not a request"); return
        }
        #expect(request.input == ["x"])
        guard case .resume(_, let after) = try ClientFrame.parse(#"{"id":"e","type":"resume"}"#) else { Issue.record("not a resume"); return }
        #expect(after == 0)
    }

    @Test("bad messages with an id are refused for that id; without one, for the connection", arguments: [
        (#"{"id":"a","type":"chat","model":"m"}"#, "a"),
        (#"{"id":"a","type":"chat","model":"m","messages":"hi"}"#, "a"),
        (#"{"id":"a","type":"chat","model":"m","messages":[{"role":"wizard","content":"x"}]}"#, "a"),
        (#"{"id":"a","type":"completion","model":"m"}"#, "a"),
        (#"{"id":"a","type":"chat","model":"","messages":[{"role":"user","content":"x"}]}"#, "a"),
        (#"{"id":"a","type":"chat","model":"m","messages":[{"role":"user","content":"x"}],"maxTokens":-1}"#, "a"),
        (#"{"id":"a","type":"chat","model":"m","messages":[{"role":"user","content":"x"}],"provider":"nobody"}"#, "a"),
        (#"{"id":"a","type":"dance"}"#, "a"),
        (#"{"id":"a","type":"resume","after":"x"}"#, "a"),
        (#"{"type":"chat"}"#, nil),
        (#"{"id":7,"type":"chat"}"#, nil),
        ("not json", nil),
        ("[1,2]", nil),
    ] as [(String, String?)])
    func refusals(text: String, id: String?) {
        #expect {
            _ = try ClientFrame.parse(text)
        } throws: { error in
            guard let refusal = error as? ClientFrame.Refusal else { return false }
            return refusal.id == id && refusal.error.code == .invalidRequest
        }
    }
}
