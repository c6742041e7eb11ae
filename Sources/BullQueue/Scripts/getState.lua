-- getState: the state a job is in.
-- KEYS: 1 completed, 2 failed, 3 delayed, 4 prioritized, 5 active, 6 wait, 7 waiting-children, 8 paused
-- ARGV: 1 job id, 2 base key ("": skip Relay's group queues)
-- Returns completed, failed, delayed, prioritized, active, waiting (also queued in its group), waiting-children
-- or unknown.
local rcall = redis.call
local id = ARGV[1]
if rcall("ZSCORE", KEYS[1], id) then return "completed" end
if rcall("ZSCORE", KEYS[2], id) then return "failed" end
if rcall("ZSCORE", KEYS[3], id) then return "delayed" end
if rcall("ZSCORE", KEYS[4], id) then return "prioritized" end
if rcall("LPOS", KEYS[5], id) then return "active" end
if rcall("LPOS", KEYS[6], id) then return "waiting" end
if rcall("ZSCORE", KEYS[7], id) then return "waiting-children" end
if rcall("LPOS", KEYS[8], id) then return "waiting" end
if ARGV[2] and ARGV[2] ~= "" then
  local gid = rcall("HGET", ARGV[2] .. id, "gid")
  if gid and (rcall("LPOS", ARGV[2] .. "g:" .. gid .. ":wait", id) or rcall("ZSCORE", ARGV[2] .. "g:" .. gid .. ":prio", id)) then
    return "waiting"
  end
end
return "unknown"
