-- publishMessages: keeps messages of a job's result stream, in order, and publishes them as one pub/sub message,
-- on the channel of the ingress process that follows the job.
-- KEYS: 1 the kept log (a list), 2 the job's route (the reply channel of a process that resumed it)
-- ARGV: 1 the job's own channel, 2 how long the log lives after its last message (ms), 3 the reply channel of the
--       process that added the job ("": none), 4… the messages (JSON, one line each)
-- Publishes on the route, else on the reply channel, addressed to the job (the job's channel is the first line),
-- else on the job's own channel; the messages are joined by newlines. Returns the number of subscribers that
-- received them.
redis.call("RPUSH", KEYS[1], unpack(ARGV, 4))
redis.call("PEXPIRE", KEYS[1], ARGV[2])
local payload = table.concat(ARGV, "\n", 4)
local route = redis.call("GET", KEYS[2])
if not route and ARGV[3] ~= "" then route = ARGV[3] end
if route then return redis.call("PUBLISH", route, ARGV[1] .. "\n" .. payload) end
return redis.call("PUBLISH", ARGV[1], payload)
