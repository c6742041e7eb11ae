-- moveJobsToWait: retryJobs (failed or completed jobs finished before a timestamp) and promoteJobs (delayed
-- jobs), a batch per call, back to waiting.
-- KEYS: 1 the source set (failed, completed or delayed), 2 wait, 3 prioritized, 4 pc, 5 events, 6 meta,
--       7 marker, 8 active
-- ARGV: 1 base key, 2 batch size, 3 finished before (ms; finished states only), 4 source state name
-- Returns 1 when more jobs remain to move, else 0.
-- @include queueState

local base, count, state = ARGV[1], tonumber(ARGV[2]), ARGV[4]
local ids
if state == "delayed" then
  ids = rcall("ZRANGE", KEYS[1], 0, count - 1)
else
  ids = rcall("ZRANGEBYSCORE", KEYS[1], 0, tonumber(ARGV[3]), "LIMIT", 0, count)
end
local cap = eventsCap(KEYS[6])
for _, jobId in ipairs(ids) do
  local jobKey = base .. jobId
  rcall("ZREM", KEYS[1], jobId)
  if state == "delayed" then
    rcall("HSET", jobKey, "delay", 0)
  else
    rcall("HDEL", jobKey, "finishedOn", "processedOn", "failedReason", "returnvalue")
  end
  local fields = rcall("HMGET", jobKey, "priority", "opts")
  pushReady(KEYS[2], KEYS[3], KEYS[4], jobId, tonumber(fields[1]) or 0, isLifo(fields[2]))
  emit(KEYS[5], cap, "waiting", "jobId", jobId, "prev", state)
end
if #ids > 0 and not isPausedOrMaxed(KEYS[6], KEYS[8]) then addBaseMarker(KEYS[7]) end
if #ids == count and rcall("ZCARD", KEYS[1]) > 0 then return 1 end
return 0
