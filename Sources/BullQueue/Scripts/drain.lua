-- drain: removes every waiting and prioritized job (grouped ones too), and the delayed ones when asked.
-- KEYS: 1 wait, 2 prioritized, 3 delayed, 4 pc, 5 paused
-- ARGV: 1 base key, 2 include delayed ("1")
-- Returns the number of jobs removed.
-- @include queueState

local base = ARGV[1]
local removed = 0
local function removeAll(ids)
  for _, jobId in ipairs(ids) do
    local jobKey = base .. jobId
    releaseDeduplication(base, jobKey, jobId)
    removeJobData(jobKey)
    removed = removed + 1
  end
end
removeAll(rcall("LRANGE", KEYS[1], 0, -1))
removeAll(rcall("LRANGE", KEYS[5], 0, -1))
removeAll(rcall("ZRANGE", KEYS[2], 0, -1))
rcall("DEL", KEYS[1], KEYS[5], KEYS[2], KEYS[4])
for _, gid in ipairs(rcall("SMEMBERS", base .. "gw")) do
  local groupWait, groupPrio = base .. "g:" .. gid .. ":wait", base .. "g:" .. gid .. ":prio"
  removeAll(rcall("LRANGE", groupWait, 0, -1))
  removeAll(rcall("ZRANGE", groupPrio, 0, -1))
  rcall("DEL", groupWait, groupPrio)
end
rcall("DEL", base .. "gw", base .. "grl")
if ARGV[2] == "1" then
  removeAll(rcall("ZRANGE", KEYS[3], 0, -1))
  rcall("DEL", KEYS[3])
end
return removed
