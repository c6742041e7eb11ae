-- circuitAcquire: may a call go to this provider now? Shared by every worker process.
-- KEYS: 1 the circuit hash (state, openedAt, probeUntil)
-- ARGV: 1 now ms, 2 reset timeout ms, 3 probe lease ms (the breaker's call timeout)
-- Returns "allowed", "probe" (the single half-open trial) or "rejected".
local rcall = redis.call
local now = tonumber(ARGV[1])
local circuit = rcall("HMGET", KEYS[1], "state", "openedAt", "probeUntil")
local state = circuit[1] or "closed"
if state == "closed" then return "allowed" end
if state == "open" and now - (tonumber(circuit[2]) or 0) < tonumber(ARGV[2]) then return "rejected" end
if state == "half-open" and now < (tonumber(circuit[3]) or 0) then return "rejected" end
rcall("HSET", KEYS[1], "state", "half-open", "probeUntil", now + tonumber(ARGV[3]))
return "probe"
