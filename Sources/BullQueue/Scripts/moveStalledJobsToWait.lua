-- moveStalledJobsToWait: the stalled-job check, run by every worker each stalled interval (one wins per interval).
-- Jobs marked at the previous check whose lock has expired go back to the head of `wait`; past the allowed
-- stall count they carry a deferred failure (`defa`) that the next worker applies without processing.
-- A grouped job frees its group's slot and goes to the head of its group's queue.
-- KEYS: 1 stalled, 2 wait, 3 active, 4 stalled-check, 5 meta, 6 events, 7 marker
-- ARGV: 1 base key, 2 max stalled count, 3 now ms, 4 stalled interval ms
-- Returns the ids recovered from stalling.
-- @include queueState
-- @include groups

if rcall("SET", KEYS[4], ARGV[3], "PX", ARGV[4], "NX") == false then return {} end
local base = ARGV[1]
local maxStalledCount = tonumber(ARGV[2])
local cap = eventsCap(KEYS[5])
rcall("XTRIM", KEYS[6], "MAXLEN", "~", cap)

local recovered = {}
for _, jobId in ipairs(rcall("SMEMBERS", KEYS[1])) do
  local jobKey = base .. jobId
  if rcall("EXISTS", jobKey .. ":lock") == 0 and rcall("LREM", KEYS[3], 1, jobId) > 0 then
    if rcall("EXISTS", jobKey) == 1 then
      local stalls = rcall("HINCRBY", jobKey, "stc", 1)
      if stalls > maxStalledCount and rcall("HEXISTS", jobKey, "rjk") == 0 then
        rcall("HSET", jobKey, "defa", "job stalled more than allowable limit")
      end
      releaseGroupSlot(base, jobKey)
      local gid = rcall("HGET", jobKey, "gid")
      if gid then
        pushGrouped(base, gid, jobId, tonumber(rcall("HGET", jobKey, "priority")) or 0, "head")
      else
        rcall("RPUSH", KEYS[2], jobId)
      end
      emit(KEYS[6], cap, "waiting", "jobId", jobId, "prev", "active")
      emit(KEYS[6], cap, "stalled", "jobId", jobId)
      table.insert(recovered, jobId)
    end
  end
end
if #recovered > 0 and not isPausedOrMaxed(KEYS[5], KEYS[3]) then addBaseMarker(KEYS[7]) end

rcall("DEL", KEYS[1])
local active = rcall("LRANGE", KEYS[3], 0, -1)
for index = 1, #active, 5000 do
  rcall("SADD", KEYS[1], unpack(active, index, math.min(index + 4999, #active)))
end
return recovered
