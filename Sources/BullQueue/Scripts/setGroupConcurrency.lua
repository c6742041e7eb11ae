-- setGroupConcurrency: sets or clears a group's concurrency override, or the queue's default per group; effective
-- at once (groups with a free slot join the ring; a lowered limit lets running jobs finish and starts no more).
-- A change rebuilds the ring keeping its turn order (entries carry the limit, see includes/groups), dropping groups no
-- longer eligible and putting newly eligible ones at the back, and re-marks the jobs holding slots with the limit.
-- KEYS: 1 gc (the field "" holds the default), 2 meta, 3 marker, 4 active, 5 gw
-- ARGV: 1 base key, 2 group id ("" for the default), 3 limit ("" to clear)
-- Returns how many groups can be served now (the ring's length).
-- @include queueState
-- @include groups

local base, gid, limit = ARGV[1], ARGV[2], ARGV[3]
local ring = base .. "grl"
if (rcall("HGET", KEYS[1], gid) or "") ~= limit then
  if limit == "" then rcall("HDEL", KEYS[1], gid) else rcall("HSET", KEYS[1], gid, limit) end
  local kept, joining, seen = {}, {}, {}
  local function consider(group, into)
    if seen[group] then return end
    seen[group] = true
    local groupLimitNow = groupLimit(base, group)
    if hasQueued(base, group) and activeCount(base, group) < groupLimitNow then
      table.insert(into, ringEntry(group, groupLimitNow))
    end
  end
  for _, entry in ipairs(rcall("LRANGE", ring, 0, -1)) do consider((parseRingEntry(entry)), kept) end
  for _, group in ipairs(gid == "" and rcall("SMEMBERS", KEYS[5]) or {gid}) do consider(group, joining) end
  -- Newly eligible groups join at the back of the line (the head), the others keep their turns.
  for _, entry in ipairs(kept) do table.insert(joining, entry) end
  rcall("DEL", ring)
  for index = 1, #joining, 5000 do rcall("RPUSH", ring, unpack(joining, index, math.min(index + 4999, #joining))) end
  -- Jobs holding a slot carry their group's limit: mark them with the new one.
  local marks = {}
  for _, jobId in ipairs(rcall("LRANGE", KEYS[4], 0, -1)) do
    local job = rcall("HMGET", base .. jobId, "gid", "gact")
    if job[1] and job[2] and (job[1] == gid or gid == "") then
      if marks[job[1]] == nil then marks[job[1]] = slotMark(groupLimit(base, job[1])) end
      rcall("HSET", base .. jobId, "gact", marks[job[1]])
    end
  end
end
local ready = rcall("LLEN", ring)
if ready > 0 and not isPausedOrMaxed(KEYS[2], KEYS[4]) then addBaseMarker(KEYS[3]) end
return ready
