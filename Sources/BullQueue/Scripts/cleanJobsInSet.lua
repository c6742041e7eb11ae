-- cleanJobsInSet: removes jobs of one state older than a grace period, up to a limit.
-- Finished jobs are judged by finishedOn (their score), the others by their timestamp; locked jobs stay.
-- KEYS: 1 the state's key (list or sorted set), 2 events, 3 meta
-- ARGV: 1 base key, 2 cut-off timestamp ms, 3 limit (0 = no limit), 4 state name
-- Returns the ids removed.
-- @include queueState
-- @include groups

local base, cutoff, limit, state = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
local removed = {}
local function full() return limit > 0 and #removed >= limit end

local function take(jobId, fromList)
  local jobKey = base .. jobId
  if rcall("EXISTS", jobKey .. ":lock") == 1 then return end
  if fromList then rcall("LREM", KEYS[1], 0, jobId) else rcall("ZREM", KEYS[1], jobId) end
  if releaseGroupSlot(base, jobKey) and not isPausedOrMaxed(KEYS[3], base .. "active") then
    addBaseMarker(base .. "marker")
  end
  releaseDeduplication(base, jobKey, jobId)
  removeJobData(jobKey)
  table.insert(removed, jobId)
end

if state == "completed" or state == "failed" then
  local ids = rcall("ZRANGEBYSCORE", KEYS[1], 0, cutoff, "LIMIT", 0, limit > 0 and limit or -1)
  for _, jobId in ipairs(ids) do take(jobId, false) end
else
  local isList = rcall("TYPE", KEYS[1])["ok"] == "list"
  local ids = isList and rcall("LRANGE", KEYS[1], 0, -1) or rcall("ZRANGE", KEYS[1], 0, -1)
  for _, jobId in ipairs(ids) do
    if full() then break end
    local timestamp = tonumber(rcall("HGET", base .. jobId, "timestamp"))
    if not timestamp or timestamp <= cutoff then take(jobId, isList) end
  end
end
emit(KEYS[2], eventsCap(KEYS[3]), "cleaned", "count", #removed)
return removed
