-- publishMessage: keeps one message of a job's result stream and publishes it, in one call.
-- KEYS: 1 the kept log (a list)
-- ARGV: 1 the message (JSON), 2 the pub/sub channel, 3 how long the log lives after its last message, ms
-- Returns the number of subscribers that received it.
redis.call("RPUSH", KEYS[1], ARGV[1])
redis.call("PEXPIRE", KEYS[1], ARGV[3])
return redis.call("PUBLISH", ARGV[2], ARGV[1])
