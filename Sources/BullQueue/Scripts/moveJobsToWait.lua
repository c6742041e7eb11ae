-- moveJobsToWait: retryJobs (failed or completed jobs finished before a timestamp) and promoteJobs (delayed
-- jobs), a batch per call, to the tail of `wait` whatever their priority (as BullMQ does); `delay` is kept.
-- Grouped jobs go to the tail of their group's queue instead.
-- KEYS: 1 the source set (failed, completed or delayed), 2 wait, 3 events, 4 meta, 5 marker, 6 active
-- ARGV: 1 base key, 2 batch size, 3 finished before (ms; finished states only), 4 source state name
-- Returns 1 when more jobs remain to move, else 0.
-- @include queueState
-- @include groups

local base, count, state = ARGV[1], tonumber(ARGV[2]), ARGV[4]
local ids
if state == "delayed" then
  ids = rcall("ZRANGE", KEYS[1], 0, count - 1)
else
  ids = rcall("ZRANGEBYSCORE", KEYS[1], 0, tonumber(ARGV[3]), "LIMIT", 0, count)
end
local cap = eventsCap(KEYS[4])
for _, jobId in ipairs(ids) do
  local jobKey = base .. jobId
  rcall("ZREM", KEYS[1], jobId)
  if state ~= "delayed" then
    rcall("HDEL", jobKey, "finishedOn", "processedOn", "failedReason", "returnvalue")
  end
  local gid = rcall("HGET", jobKey, "gid")
  if gid then pushGrouped(base, gid, jobId, 0, "tail") else rcall("LPUSH", KEYS[2], jobId) end
  emit(KEYS[3], cap, "waiting", "jobId", jobId, "prev", state)
end
if #ids > 0 and not isPausedOrMaxed(KEYS[4], KEYS[6]) then addBaseMarker(KEYS[5]) end
if #ids == count and rcall("ZCARD", KEYS[1]) > 0 then return 1 end
return 0
