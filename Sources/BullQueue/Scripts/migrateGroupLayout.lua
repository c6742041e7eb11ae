-- migrateGroupLayout: once, moves the groups of earlier versions into the current keys (includes/groups): the
-- hashes `ga` (active jobs per group) and `gq` (queued jobs per group) into `g:<gid>:active` and the set `gw`, and
-- each group's sorted set `g:<gid>:wait` (score: priority * 2^32 + sequence) into the list `g:<gid>:wait` (jobs
-- without priority, in the same order) and the sorted set `g:<gid>:prio` (the others, same scores).
-- KEYS: 1 ga, 2 gq, 3 gw
-- ARGV: 1 base key
-- Returns the number of groups it moved.
local rcall = redis.call
if rcall("EXISTS", KEYS[1], KEYS[2]) == 0 then return 0 end
local base = ARGV[1]
local moved = {}
local active = rcall("HGETALL", KEYS[1])
for index = 1, #active, 2 do
  local count = tonumber(active[index + 1]) or 0
  if count > 0 then rcall("INCRBY", base .. "g:" .. active[index] .. ":active", count) end
  moved[active[index]] = true
end
for _, gid in ipairs(rcall("HKEYS", KEYS[2])) do
  local waitKey = base .. "g:" .. gid .. ":wait"
  if rcall("TYPE", waitKey)["ok"] == "zset" then
    local queued = rcall("ZRANGE", waitKey, 0, -1, "WITHSCORES")
    rcall("DEL", waitKey)
    local plain = {}
    for index = 1, #queued, 2 do
      local score = tonumber(queued[index + 1])
      if score < 0x100000000 then
        table.insert(plain, queued[index])
      else
        rcall("ZADD", base .. "g:" .. gid .. ":prio", score, queued[index])
      end
    end
    -- In serving order, LPUSH leaves the first to serve on the right.
    for index = 1, #plain, 5000 do rcall("LPUSH", waitKey, unpack(plain, index, math.min(index + 4999, #plain))) end
  end
  if rcall("EXISTS", waitKey, base .. "g:" .. gid .. ":prio") > 0 then rcall("SADD", KEYS[3], gid) end
  moved[gid] = true
end
rcall("DEL", KEYS[1], KEYS[2])
local count = 0
for _ in pairs(moved) do count = count + 1 end
return count
