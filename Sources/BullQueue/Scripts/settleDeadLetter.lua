-- settleDeadLetter: ends a claimed dead letter (see claimDeadLetters): "retry" makes it ready again with its
-- attempts reset, "delete" removes it (after `relay dlq` archived it, when archiving), "release" puts it back in
-- `failed` untouched.
-- KEYS: 1 dlq, 2 failed, 3 wait, 4 prioritized, 5 pc, 6 events, 7 meta, 8 marker, 9 active
-- ARGV: 1 base key, 2 job id, 3 action
-- Returns 1 done, 0 not claimed (another run settled it).
-- @include queueState
-- @include groups

local base, jobId, action = ARGV[1], ARGV[2], ARGV[3]
local jobKey = base .. jobId
if rcall("ZREM", KEYS[1], jobId) == 0 then return 0 end
if rcall("EXISTS", jobKey) == 0 then return 1 end
local cap = eventsCap(KEYS[7])
if action == "release" then
  rcall("ZADD", KEYS[2], tonumber(rcall("HGET", jobKey, "finishedOn")) or 0, jobId)
elseif action == "delete" then
  releaseDeduplication(base, jobKey, jobId)
  removeJobData(jobKey)
  emit(KEYS[6], cap, "removed", "jobId", jobId, "prev", "failed")
else
  rcall("HDEL", jobKey, "finishedOn", "processedOn", "failedReason", "returnvalue", "defa", "cxl")
  rcall("HSET", jobKey, "atm", 0, "ats", 0)
  local fields = rcall("HMGET", jobKey, "priority", "opts")
  local ready = makeReady(base, KEYS[3], KEYS[4], KEYS[5], jobId, tonumber(fields[1]) or 0, isLifo(fields[2]))
  if ready and not isPausedOrMaxed(KEYS[7], KEYS[9]) then addBaseMarker(KEYS[8]) end
  emit(KEYS[6], cap, "waiting", "jobId", jobId, "prev", "failed")
end
return 1
