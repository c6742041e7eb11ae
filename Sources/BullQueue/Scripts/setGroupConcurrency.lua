-- setGroupConcurrency: sets or clears a group's concurrency override, or the queue's default per group; effective
-- at once (groups with a free slot join the ring; a lowered limit lets running jobs finish and starts no more).
-- A change rebuilds the ring in its turn order (entries carry the limit, see includes/groups), dropping groups no
-- longer eligible and appending newly eligible ones.
-- KEYS: 1 gc (the field "" holds the default), 2 meta, 3 marker, 4 active, 5 gq
-- ARGV: 1 base key, 2 group id ("" for the default), 3 limit ("" to clear)
-- Returns how many groups can be served now (the ring's length).
-- @include queueState
-- @include groups

local base, gid, limit = ARGV[1], ARGV[2], ARGV[3]
local ring = base .. "grl"
if (rcall("HGET", KEYS[1], gid) or "") ~= limit then
  if limit == "" then rcall("HDEL", KEYS[1], gid) else rcall("HSET", KEYS[1], gid, limit) end
  local entries, seen = {}, {}
  local function consider(group)
    if seen[group] then return end
    seen[group] = true
    local groupLimitNow = groupLimit(base, group)
    if groupCount(base, "gq", group) > 0 and groupCount(base, "ga", group) < groupLimitNow then
      table.insert(entries, ringEntry(group, groupLimitNow))
    end
  end
  for _, entry in ipairs(rcall("LRANGE", ring, 0, -1)) do consider((parseRingEntry(entry))) end
  for _, group in ipairs(gid == "" and rcall("HKEYS", KEYS[5]) or {gid}) do consider(group) end
  rcall("DEL", ring)
  for index = 1, #entries, 5000 do rcall("RPUSH", ring, unpack(entries, index, math.min(index + 4999, #entries))) end
end
local ready = rcall("LLEN", ring)
if ready > 0 and not isPausedOrMaxed(KEYS[2], KEYS[4]) then addBaseMarker(KEYS[3]) end
return ready
