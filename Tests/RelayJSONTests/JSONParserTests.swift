import Foundation
import RelayJSON
import Testing

@Suite("JSON text")
struct JSONParserTests {
    @Test("values parse as Foundation's JSONSerialization reads them", arguments: [
        #"{"a":1,"b":[true,false,null],"c":{"d":"e"}}"#,
        #"[1,-2,3.5,-0.25,1e3,2E-2,12345678901234,0,-0]"#,
        #"{"text":"line\nbreak \"quoted\" back\\slash \/ tab\t \u00e9 \u20ac \ud83d\ude00 é 😀"}"#,
        #"  {"spaced" : [ 1 , 2 ] }  "#,
        #""a fragment""#, "42", "true", "null", "[]", "{}", #"[[[[]]]]"#,
        #"{"dup":1,"dup":2}"#,
    ])
    func matchesFoundation(_ text: String) throws {
        let ours = try JSONValue(json: text)
        let foundation = try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
        #expect(ours == Self.value(of: foundation), "\(text)")
    }

    @Test("writing and reading again gives the same value")
    func roundTrip() throws {
        let value: JSONValue = [
            "s": "q\"\\\n\u{01}é😀", "i": 9_007_199_254_740_991, "d": 0.1, "n": .null, "a": [1, [2, [3]]], "o": ["k": false],
        ]
        #expect(try JSONValue(json: value.json) == value)
    }

    @Test("malformed text is refused with where it went wrong", arguments: [
        "", " ", "{", "[1,]", "[1 2]", #"{"a" 1}"#, #"{"a":1,}"#, #"{a:1}"#, "01", "1.", "-", "1e", ".5", "+1", "tru", "nul",
        #""unterminated"#, "\"tab\tinside\"", #""\x""#, #""\u12""#, "[1]x", "{} {}", "NaN", "Infinity",
    ])
    func refusals(_ text: String) {
        #expect(throws: JSONSyntaxError.self, "\(text)") { try JSONValue(json: text) }
    }

    @Test("deep nesting is refused, not a crash")
    func deepNesting() throws {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(throws: JSONSyntaxError.self) { try JSONValue(json: deep) }
        let fine = String(repeating: "[", count: 500) + String(repeating: "]", count: 500)
        #expect(try JSONValue(json: fine).arrayValue?.count == 1)
    }

    @Test("a lone surrogate escape becomes U+FFFD")
    func loneSurrogate() throws {
        #expect(try JSONValue(json: #""a\ud800b""#) == .string("a\u{FFFD}b"))
        #expect(try JSONValue(json: #""\udc00""#) == .string("\u{FFFD}"))
    }

    /// Foundation's objects as JSONValue, with the same number rule (integral → int).
    static func value(of object: Any) -> JSONValue {
        switch object {
        case let string as String: return .string(string)
        case let number as NSNumber:
            let type = String(cString: number.objCType)
            if type == "c" { return .bool(number.boolValue) }
            if type == "d" || type == "f" {
                let double = number.doubleValue
                return double.rounded() == double && abs(double) < 9.0e15 ? .int(Int(double)) : .double(double)
            }
            return .int(number.intValue)
        case let array as [Any]: return .array(array.map(value(of:)))
        case let dictionary as [String: Any]: return .object(dictionary.mapValues(value(of:)))
        default: return .null
        }
    }
}
