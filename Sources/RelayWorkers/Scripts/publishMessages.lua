-- publishMessages: keeps messages of a job's result stream, in order, and publishes them as one pub/sub message.
-- KEYS: 1 the kept log (a list)
-- ARGV: 1 the pub/sub channel, 2 how long the log lives after its last message (ms), 3… the messages (JSON, one
--       line each)
-- Publishes the messages joined by newlines; returns the number of subscribers that received them.
redis.call("RPUSH", KEYS[1], unpack(ARGV, 3))
redis.call("PEXPIRE", KEYS[1], ARGV[2])
return redis.call("PUBLISH", ARGV[1], table.concat(ARGV, "\n", 3))
