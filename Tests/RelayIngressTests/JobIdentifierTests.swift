import Foundation
@testable import RelayIngress
import Testing

@Suite("Job identifiers")
struct JobIdentifierTests {
    @Test("job ids are lowercase UUIDs (version 4, RFC variant) and do not repeat")
    func shapeAndUniqueness() {
        var seen = Set<String>()
        for _ in 0..<10_000 {
            let id = JobIdentifier.next()
            #expect(seen.insert(id).inserted)
            #expect(UUID(uuidString: id)?.uuidString.lowercased() == id)
            #expect(Array(id)[14] == "4")
            #expect("89ab".contains(Array(id)[19]))
        }
    }
}
