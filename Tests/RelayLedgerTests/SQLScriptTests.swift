import Testing

@testable import RelayLedger

@Suite("SQL scripts")
struct SQLScriptTests {
    @Test("statements split at top-level semicolons only")
    func splits() {
        let sql = """
            -- a comment; with a semicolon
            CREATE TABLE t (a TEXT DEFAULT 'x;y''z');
            /* block; comment */ INSERT INTO "odd;name" VALUES (1);
            CREATE FUNCTION f() RETURNS INT LANGUAGE plpgsql AS $body$
            BEGIN
                RETURN 1; -- inside
            END
            $body$;
            SELECT $$a;b$$, $1
            """
        let statements = SQLScript.statements(in: sql)
        #expect(statements.count == 4)
        #expect(statements[0] == "CREATE TABLE t (a TEXT DEFAULT 'x;y''z')")
        #expect(statements[1] == "INSERT INTO \"odd;name\" VALUES (1)")
        #expect(statements[2].hasPrefix("CREATE FUNCTION f()") && statements[2].hasSuffix("$body$"))
        #expect(statements[3] == "SELECT $$a;b$$, $1")
    }
}
