-- Relay's per-group (per-user) concurrency with round-robin turns; BullMQ clients never read these keys.
-- Under the queue's base key:
--   g:<gid>:wait  zset   the group's ready jobs; score = priority band (priority * 2^32) + FIFO sequence, so jobs
--                        without priority come first, then by priority, FIFO within one (the head of a band for
--                        stalled jobs, LIFO jobs just after it)
--   gr            zset   the ring: groups with a ready job and a free slot, scored by the turn they joined with;
--                        a fetch serves the lowest, and a group still eligible rejoins at the back
--   ga            hash   gid -> jobs holding one of the group's slots
--   gq            hash   gid -> jobs queued in g:<gid>:wait
--   gc            hash   gid -> concurrency override; the field "" (never a group id) holds the default per group
--                        (none: unlimited)
--   gseq          string turn and FIFO sequence
-- Job hash fields: `gid` (the group) and `gact` ("1" while the job holds a slot; cleared exactly once on release).
-- Every change keeps the ring exact: a group is in `gr` when it has queued jobs and a free slot, and only then, so
-- a job queued behind others and a slot freed while the group is in the ring need no further look. (A fetch still
-- checks the limit and the queue of the group it serves, and skips ids whose job hash is gone.)
-- Needs queueState.

local GROUP_BAND = 0x100000000
local GROUP_HALF = 0x80000000

local function groupLimit(base, gid)
  local limits = rcall("HMGET", base .. "gc", gid, "")
  return tonumber(limits[1] or limits[2]) or math.huge
end

-- Puts the group at the back of the ring.
local function joinRing(base, gid)
  rcall("ZADD", base .. "gr", rcall("INCR", base .. "gseq"), gid)
end

-- Puts the group in the ring when it has a ready job and a free slot (keeping its turn when it is already there),
-- takes it out otherwise. `inRing`, `active`, `limit`, `queued` (whether the group has ready jobs): when the caller
-- knows them. Returns true when it is in the ring.
local function refreshGroup(base, gid, active, limit, inRing, queued)
  active = active or tonumber(rcall("HGET", base .. "ga", gid)) or 0
  limit = limit or groupLimit(base, gid)
  if active < limit then
    if queued == nil then queued = rcall("EXISTS", base .. "g:" .. gid .. ":wait") == 1 end
    if queued then
      if inRing == nil then inRing = rcall("ZSCORE", base .. "gr", gid) ~= false end
      if not inRing then joinRing(base, gid) end
      return true
    end
  end
  if inRing ~= false then rcall("ZREM", base .. "gr", gid) end
  return false
end

-- Queues a ready job in its group: where = "tail" (FIFO), "lifo" or "head" (stalled recovery).
-- Returns true when the group can be served now.
local function pushGrouped(base, gid, jobId, priority, where)
  local score = priority * GROUP_BAND
  if where ~= "head" then
    local sequence = rcall("INCR", base .. "gseq") % GROUP_HALF
    if where == "lifo" then score = score + GROUP_HALF - sequence else score = score + GROUP_HALF + sequence end
  end
  if rcall("ZADD", base .. "g:" .. gid .. ":wait", score, jobId) == 0 then return refreshGroup(base, gid) end
  if rcall("HINCRBY", base .. "gq", gid, 1) > 1 then
    -- Jobs were queued already: the group is in the ring exactly when it has a free slot.
    return rcall("ZSCORE", base .. "gr", gid) ~= false
  end
  return refreshGroup(base, gid, nil, nil, false, true)
end

-- Takes a job out of its group's queue (cancel, remove); true when it was queued there.
local function unqueueGrouped(base, gid, jobId)
  if rcall("ZREM", base .. "g:" .. gid .. ":wait", jobId) == 0 then return false end
  if rcall("HINCRBY", base .. "gq", gid, -1) <= 0 then rcall("HDEL", base .. "gq", gid) end
  refreshGroup(base, gid)
  return true
end

-- One slot fewer held by the group; returns how many it still holds.
local function decrementActive(base, gid)
  local active = rcall("HINCRBY", base .. "ga", gid, -1)
  if active > 0 then return active end
  rcall("HDEL", base .. "ga", gid)
  return 0
end

-- Frees the slot a job holds, once (`gid`: its group, when the caller has read it). `holds`: whether the job holds
-- a slot, when the caller has read `gact` (the caller then clears that field); nil to read and clear it here.
-- Returns true when its group can now be served.
local function releaseGroupSlot(base, jobKey, gid, holds)
  gid = gid or rcall("HGET", jobKey, "gid")
  if not gid then return false end
  if holds == nil then holds = rcall("HDEL", jobKey, "gact") == 1 end
  if not holds then return false end
  local active = decrementActive(base, gid)
  -- In the ring, the group had a free slot and jobs queued before; it has both still.
  if rcall("ZSCORE", base .. "gr", gid) then return true end
  return refreshGroup(base, gid, active, nil, false)
end

-- Makes a job ready: into its group's queue when it has one, else `wait` / `prioritized` as BullMQ does.
-- Returns true when a worker can take it now (ignoring pause and global concurrency).
local function makeReady(base, waitKey, prioritizedKey, pcKey, jobId, priority, lifo)
  local gid = rcall("HGET", base .. jobId, "gid")
  if gid then return pushGrouped(base, gid, jobId, priority, lifo and "lifo" or "tail") end
  pushReady(waitKey, prioritizedKey, pcKey, jobId, priority, lifo)
  return true
end

-- The next grouped job, for the group whose turn it is: moved to `active` and counted in `ga`, holding a slot once
-- the caller sets its `gact` field. Returns its id, its job hash (HGETALL) and whether the ring still has a group
-- (the served one rejoined it); nil when none.
local function takeGrouped(base, activeKey)
  local ring = base .. "gr"
  for _ = 1, 50 do
    local gid = rcall("ZPOPMIN", ring)[1]
    if not gid then return nil end
    local active = rcall("HINCRBY", base .. "ga", gid, 1)
    local limit = groupLimit(base, gid)
    if active <= limit then
      local waitKey = base .. "g:" .. gid .. ":wait"
      local jobId, fields, left
      repeat
        jobId = rcall("ZPOPMIN", waitKey)[1]
        if not jobId then break end
        left = rcall("HINCRBY", base .. "gq", gid, -1)
        fields = rcall("HGETALL", base .. jobId)
      until #fields > 0
      if not jobId or left <= 0 then rcall("HDEL", base .. "gq", gid) end
      if jobId then
        local rejoins = active < limit and left > 0
        if rejoins then joinRing(base, gid) end
        rcall("LPUSH", activeKey, jobId)
        return jobId, fields, rejoins
      end
    end
    decrementActive(base, gid)
  end
  return nil
end
