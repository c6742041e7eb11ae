-- removeJob: removes a job that no worker holds, from whatever state it is in (a grouped job leaves its group's
-- queue, or frees the slot it held).
-- KEYS: 1 wait, 2 active, 3 prioritized, 4 delayed, 5 completed, 6 failed, 7 waiting-children, 8 paused,
--       9 events, 10 meta
-- ARGV: 1 base key, 2 job id
-- Returns 1 removed, 0 locked by a worker, -1 no such job.
-- @include queueState
-- @include groups

local base, jobId = ARGV[1], ARGV[2]
local jobKey = base .. jobId
if rcall("EXISTS", jobKey) == 0 then return -1 end
if rcall("EXISTS", jobKey .. ":lock") == 1 then return 0 end
local states = {{1, "wait", true}, {2, "active", true}, {3, "prioritized", false}, {4, "delayed", false},
  {5, "completed", false}, {6, "failed", false}, {7, "waiting-children", false}, {8, "paused", true}}
local previous = "unknown"
for _, entry in ipairs(states) do
  local removed
  if entry[3] then removed = rcall("LREM", KEYS[entry[1]], 0, jobId) else removed = rcall("ZREM", KEYS[entry[1]], jobId) end
  if removed > 0 then previous = entry[2] end
end
local gid = rcall("HGET", jobKey, "gid")
if gid then
  if unqueueGrouped(base, gid, jobId) then previous = "waiting" end
  -- A full group that gets a slot back can be served now: wake a worker.
  if releaseGroupSlot(base, jobKey) and not isPausedOrMaxed(KEYS[10], KEYS[2]) then addBaseMarker(base .. "marker") end
end
releaseDeduplication(base, jobKey, jobId)
removeJobData(jobKey)
emit(KEYS[9], eventsCap(KEYS[10]), "removed", "jobId", jobId, "prev", previous)
return 1
