-- promote: makes one delayed job ready now (in its group's queue when it has one).
-- KEYS: 1 delayed, 2 wait, 3 prioritized, 4 pc, 5 events, 6 meta, 7 marker, 8 active
-- ARGV: 1 base key, 2 job id
-- Returns 0, or -3 when the job is not delayed.
-- @include queueState
-- @include groups

local base, jobId = ARGV[1], ARGV[2]
if rcall("ZREM", KEYS[1], jobId) == 0 then return -3 end
local jobKey = base .. jobId
rcall("HSET", jobKey, "delay", 0)
local fields = rcall("HMGET", jobKey, "priority", "opts")
local ready = makeReady(base, KEYS[2], KEYS[3], KEYS[4], jobId, tonumber(fields[1]) or 0, isLifo(fields[2]))
if ready and not isPausedOrMaxed(KEYS[6], KEYS[8]) then addBaseMarker(KEYS[7]) end
emit(KEYS[5], eventsCap(KEYS[6]), "waiting", "jobId", jobId, "prev", "delayed")
return 0
