-- routeJob: routes a job's messages to the ingress process that follows it, and records the client's request id
-- for resume; a prelude to adding the job (AddPrelude), so both are in place before a worker can take it.
-- KEYS: 1 the job's route, 2 the client's request record (absent when the request has no client id)
-- ARGV: 1 the ingress's reply channel, 2 the record ("pool\njobId"), 3 how long both live (seconds)
-- Returns nothing: it never refuses the add.
redis.call("SET", KEYS[1], ARGV[1], "EX", ARGV[3])
if KEYS[2] then redis.call("SET", KEYS[2], ARGV[2], "EX", ARGV[3]) end
