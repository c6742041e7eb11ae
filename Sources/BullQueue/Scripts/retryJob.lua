-- retryJob: an attempt failed and the job is ready again at once (no backoff); a grouped job frees its slot and
-- queues again in its group.
-- KEYS: 1 active, 2 wait, 3 prioritized, 4 pc, 5 events, 6 meta, 7 marker, 8 stalled
-- ARGV: 1 base key, 2 job id, 3 lock token, 4 failed reason, 5 stacktrace JSON ("")
-- Returns 0, or -1 missing job, -2 missing lock, -3 not active, -6 lock held by another token.
-- @include queueState
-- @include groups

local base, jobId, token = ARGV[1], ARGV[2], ARGV[3]
local jobKey = base .. jobId
if rcall("EXISTS", jobKey) == 0 then return -1 end
local lock = releaseLock(jobKey, token, KEYS[8], jobId)
if lock < 0 then return lock end
if rcall("LREM", KEYS[1], -1, jobId) == 0 then return -3 end

local cap = eventsCap(KEYS[6])
rcall("HINCRBY", jobKey, "atm", 1)
rcall("HSET", jobKey, "failedReason", ARGV[4])
if ARGV[5] ~= "" then rcall("HSET", jobKey, "stacktrace", ARGV[5]) end
releaseGroupSlot(base, jobKey)
local fields = rcall("HMGET", jobKey, "priority", "opts")
local ready = makeReady(base, KEYS[2], KEYS[3], KEYS[4], jobId, tonumber(fields[1]) or 0, isLifo(fields[2]))
if ready and not isPausedOrMaxed(KEYS[6], KEYS[1]) then addBaseMarker(KEYS[7]) end
emit(KEYS[5], cap, "waiting", "jobId", jobId, "prev", "active")
return 0
