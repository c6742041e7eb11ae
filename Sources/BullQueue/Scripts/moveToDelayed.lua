-- moveToDelayed: an attempt failed and the job waits for its backoff before the next attempt (a grouped job frees
-- its group's slot meanwhile).
-- KEYS: 1 active, 2 delayed, 3 events, 4 meta, 5 marker, 6 stalled
-- ARGV: 1 base key, 2 job id, 3 lock token, 4 delay ms, 5 failed reason, 6 stacktrace JSON ("")
-- The due time is the server's clock plus the delay, so it matches the event's own timestamp exactly.
-- Returns 0, or -1 missing job, -2 missing lock, -3 not active, -6 lock held by another token.
-- @include queueState
-- @include groups

local base, jobId, token = ARGV[1], ARGV[2], ARGV[3]
local jobKey = base .. jobId
if rcall("EXISTS", jobKey) == 0 then return -1 end
local lock = releaseLock(jobKey, token, KEYS[6], jobId)
if lock < 0 then return lock end
if rcall("LREM", KEYS[1], -1, jobId) == 0 then return -3 end

local cap = eventsCap(KEYS[4])
if releaseGroupSlot(base, jobKey) and not isPausedOrMaxed(KEYS[4], KEYS[1]) then addBaseMarker(KEYS[5]) end
local delay = tonumber(ARGV[4])
local due = serverNow() + delay
rcall("HINCRBY", jobKey, "atm", 1)
rcall("HSET", jobKey, "delay", delay, "failedReason", ARGV[5])
if ARGV[6] ~= "" then rcall("HSET", jobKey, "stacktrace", ARGV[6]) end
rcall("ZADD", KEYS[2], delayedScore(KEYS[2], due), jobId)
emit(KEYS[3], cap, "delayed", "jobId", jobId, "delay", due)
addDelayMarker(KEYS[5], KEYS[2])
return 0
