import Foundation
import RelayLedger
import Testing

@Suite("Dead letter archive")
struct DeadLetterArchiveTests {
    @Test("an archived dead letter keeps data, options, error, stack traces, attempts and times; twice is a no-op")
    func archiveContents() async throws {
        try await TestLedger.withLedger { ledger in
            let jobId = TestLedger.job()
            let letter = DeadLetter(
                queue: "llm-test", jobId: jobId, name: "chat", userId: "u-1",
                dataJSON: #"{"userId":"u-1","request":{"kind":"chat"}}"#, optionsJSON: #"{"attempts":3,"gid":"u-1"}"#,
                failedReason: "boom", stacktraceJSON: #"["first","second","boom"]"#, attemptsMade: 3, attemptsStarted: 3,
                timestamp: 1_760_000_000_000, processedOn: 1_760_000_001_000, finishedOn: 1_760_000_002_345,
                hashJSON: #"{"name":"chat","atm":"3"}"#
            )
            #expect(try await ledger.archive(letter))
            #expect(try await ledger.archive(letter) == false)
            let stored = try #require(try await ledger.archivedDeadLetter(queue: "llm-test", jobId: jobId))
            #expect(stored.name == "chat" && stored.userId == "u-1" && stored.failedReason == "boom")
            #expect(stored.attemptsMade == 3 && stored.attemptsStarted == 3)
            #expect((stored.timestamp, stored.processedOn, stored.finishedOn) == (1_760_000_000_000, 1_760_000_001_000, 1_760_000_002_345))
            let stack = try JSONSerialization.jsonObject(with: Data(stored.stacktraceJSON.utf8)) as? [String]
            #expect(stack == ["first", "second", "boom"])
            let data = try JSONSerialization.jsonObject(with: Data(stored.dataJSON.utf8)) as? [String: Any]
            #expect(data?["userId"] as? String == "u-1")
            let options = try JSONSerialization.jsonObject(with: Data(stored.optionsJSON.utf8)) as? [String: Any]
            #expect(options?["attempts"] as? Int == 3)
            let hash = try JSONSerialization.jsonObject(with: Data(stored.hashJSON.utf8)) as? [String: String]
            #expect(hash?["atm"] == "3")
        }
    }

    @Test("data that is not JSON is archived as a JSON string")
    func invalidJSON() async throws {
        try await TestLedger.withLedger { ledger in
            let jobId = TestLedger.job()
            let letter = DeadLetter(
                queue: "llm-test", jobId: jobId, name: "raw", userId: nil, dataJSON: "not json", optionsJSON: "{}",
                failedReason: nil, stacktraceJSON: "[]", attemptsMade: 1, attemptsStarted: 1, timestamp: 1,
                processedOn: nil, finishedOn: 2, hashJSON: "{}"
            )
            #expect(try await ledger.archive(letter))
            let stored = try #require(try await ledger.archivedDeadLetter(queue: "llm-test", jobId: jobId))
            #expect(stored.dataJSON == #""not json""#)
            #expect(stored.processedOn == nil)
        }
    }
}
