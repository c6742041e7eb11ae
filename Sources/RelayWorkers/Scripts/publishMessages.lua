-- publishMessages: keeps messages of a job's result stream, in order, and publishes them as one pub/sub message,
-- on the channel the job's follower listens on.
-- KEYS: 1 the kept log (a list), 2 the job's route (a string: the channel of the ingress that follows the job)
-- ARGV: 1 the job's own channel, 2 how long the log lives after its last message (ms), 3… the messages (JSON, one
--       line each)
-- With a route, publishes on the routed channel, addressed to the job's channel (its first line) and keeps the
-- route as long as the log; without one, on the job's channel. The messages are joined by newlines. Returns the
-- number of subscribers that received them.
redis.call("RPUSH", KEYS[1], unpack(ARGV, 3))
redis.call("PEXPIRE", KEYS[1], ARGV[2])
local payload = table.concat(ARGV, "\n", 3)
local route = redis.call("GETEX", KEYS[2], "PX", ARGV[2])
if route then return redis.call("PUBLISH", route, ARGV[1] .. "\n" .. payload) end
return redis.call("PUBLISH", ARGV[1], payload)
