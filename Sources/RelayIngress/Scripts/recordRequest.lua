-- recordRequest: records a client's request id, so that the client can resume the request; a prelude to adding
-- the request's job (AddPrelude), so the record exists once the job does.
-- KEYS: 1 the client's request record
-- ARGV: 1 the record ("pool\njobId"), 2 how long it lives (seconds)
-- Returns nothing: it never refuses the add.
redis.call("SET", KEYS[1], ARGV[1], "EX", ARGV[2])
