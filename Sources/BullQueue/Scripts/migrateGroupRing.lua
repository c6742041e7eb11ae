-- migrateGroupRing: once, turns the ring of earlier versions (the sorted set `gr`, scored by turn) into the list
-- `grl` (includes/groups): its groups in turn order (the first turn at the tail), then any other group with
-- queued jobs and a free slot.
-- KEYS: 1 gr (the old ring), 2 grl, 3 gw (after migrateGroupLayout)
-- ARGV: 1 base key
-- Returns the number of groups it put in the ring.
-- @include queueState
-- @include groups

if rcall("EXISTS", KEYS[1]) == 0 then return 0 end
local base = ARGV[1]
local placed = {}
for _, entry in ipairs(rcall("LRANGE", KEYS[2], 0, -1)) do placed[(parseRingEntry(entry))] = true end
local added = 0
local candidates = rcall("ZRANGE", KEYS[1], 0, -1)
for _, gid in ipairs(rcall("SMEMBERS", KEYS[3])) do table.insert(candidates, gid) end
for _, gid in ipairs(candidates) do
  local limit = groupLimit(base, gid)
  if not placed[gid] and hasQueued(base, gid) and activeCount(base, gid) < limit then
    rcall("LPUSH", KEYS[2], ringEntry(gid, limit))
    added = added + 1
  end
  placed[gid] = true
end
rcall("DEL", KEYS[1])
return added
