-- setGroupConcurrency: sets or clears a group's concurrency override, or the queue's default per group; effective
-- at once (groups with a free slot join the ring; a lowered limit lets running jobs finish and starts no more).
-- KEYS: 1 gc (the field "" holds the default), 2 meta, 3 marker, 4 active, 5 gq
-- ARGV: 1 base key, 2 group id ("" for the default), 3 limit ("" to clear)
-- Returns how many groups can be served now among those it looked at.
-- @include queueState
-- @include groups

local base, gid, limit = ARGV[1], ARGV[2], ARGV[3]
local groups = gid == "" and rcall("HKEYS", KEYS[5]) or {gid}
local before = {}
for index, group in ipairs(groups) do before[index] = groupLimit(base, group) end
if limit == "" then rcall("HDEL", KEYS[1], gid) else rcall("HSET", KEYS[1], gid, limit) end
local ready = 0
for index, group in ipairs(groups) do
  local active = groupCount(base, "ga", group)
  local queued = groupCount(base, "gq", group) > 0
  if placeInRing(base, group, queued and active < before[index], queued and active < groupLimit(base, group)) then
    ready = ready + 1
  end
end
if ready > 0 and not isPausedOrMaxed(KEYS[2], KEYS[4]) then addBaseMarker(KEYS[3]) end
return ready
