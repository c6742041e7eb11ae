import RelayLedger
import Testing

@Suite("Credits")
struct CreditsTests {
    @Test(
        "decimal amounts parse exactly",
        arguments: [
            ("10", 10_000_000), ("2.5", 2_500_000), ("-0.000001", -1), ("+3", 3_000_000), (".5", 500_000),
            ("0", 0),
        ] as [(String, Int64)]
    )
    func parses(text: String, micros: Int64) {
        #expect(Credits(parsing: text)?.micros == micros)
    }

    @Test("bad amounts are refused", arguments: ["", "abc", "1.0000001", "1e3", "--1", "1.2.3", ".", "1,5"])
    func refuses(text: String) {
        #expect(Credits(parsing: text) == nil)
    }

    @Test("amounts print as the shortest exact decimal")
    func prints() {
        #expect(Credits(micros: 12_500_000).description == "12.5")
        #expect(Credits(micros: -1).description == "-0.000001")
        #expect(Credits(3).description == "3")
    }
}
