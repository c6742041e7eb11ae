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
-- Needs queueState.

local GROUP_BAND = 0x100000000
local GROUP_HALF = 0x80000000

local function groupLimit(base, gid)
  local limits = rcall("HMGET", base .. "gc", gid, "")
  return tonumber(limits[1] or limits[2]) or math.huge
end

-- Puts the group in the ring when it has a ready job and a free slot (keeping its turn when it is already there),
-- takes it out otherwise. `popped`: the caller just took it out of the ring; `queued`: whether the group has ready
-- jobs, when the caller knows. Returns true when it is in the ring.
local function refreshGroup(base, gid, active, limit, popped, queued)
  local ring = base .. "gr"
  active = active or tonumber(rcall("HGET", base .. "ga", gid)) or 0
  limit = limit or groupLimit(base, gid)
  if queued == nil and active < limit then queued = rcall("EXISTS", base .. "g:" .. gid .. ":wait") == 1 end
  if active < limit and queued then
    if popped or not rcall("ZSCORE", ring, gid) then rcall("ZADD", ring, rcall("INCR", base .. "gseq"), gid) end
    return true
  end
  if not popped then rcall("ZREM", ring, gid) end
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
  if rcall("ZADD", base .. "g:" .. gid .. ":wait", score, jobId) == 1 then rcall("HINCRBY", base .. "gq", gid, 1) end
  return refreshGroup(base, gid, nil, nil, false, true)
end

-- Takes a job out of its group's queue (cancel, remove); true when it was queued there.
local function unqueueGrouped(base, gid, jobId)
  if rcall("ZREM", base .. "g:" .. gid .. ":wait", jobId) == 0 then return false end
  if rcall("HINCRBY", base .. "gq", gid, -1) <= 0 then rcall("HDEL", base .. "gq", gid) end
  refreshGroup(base, gid)
  return true
end

-- Frees the slot a job holds, once (`gid`: its group, when the caller has read it). Returns true when its group
-- can now be served.
local function releaseGroupSlot(base, jobKey, gid)
  gid = gid or rcall("HGET", jobKey, "gid")
  if not gid or rcall("HDEL", jobKey, "gact") == 0 then return false end
  local active = rcall("HINCRBY", base .. "ga", gid, -1)
  if active <= 0 then
    rcall("HDEL", base .. "ga", gid)
    active = 0
  end
  return refreshGroup(base, gid, active)
end

-- Makes a job ready: into its group's queue when it has one, else `wait` / `prioritized` as BullMQ does.
-- Returns true when a worker can take it now (ignoring pause and global concurrency).
local function makeReady(base, waitKey, prioritizedKey, pcKey, jobId, priority, lifo)
  local gid = rcall("HGET", base .. jobId, "gid")
  if gid then return pushGrouped(base, gid, jobId, priority, lifo and "lifo" or "tail") end
  pushReady(waitKey, prioritizedKey, pcKey, jobId, priority, lifo)
  return true
end

-- The next grouped job, for the group whose turn it is: moved to `active`, holding a slot once the caller sets its
-- `gact` field; nil when none.
local function takeGrouped(base, activeKey)
  local ring = base .. "gr"
  for _ = 1, 50 do
    local popped = rcall("ZPOPMIN", ring)
    local gid = popped[1]
    if not gid then return nil end
    local active = tonumber(rcall("HGET", base .. "ga", gid)) or 0
    local limit = groupLimit(base, gid)
    if active < limit then
      local queued = rcall("ZPOPMIN", base .. "g:" .. gid .. ":wait")
      while queued[1] and rcall("EXISTS", base .. queued[1]) == 0 do
        if rcall("HINCRBY", base .. "gq", gid, -1) <= 0 then rcall("HDEL", base .. "gq", gid) end
        queued = rcall("ZPOPMIN", base .. "g:" .. gid .. ":wait")
      end
      local jobId = queued[1]
      if jobId then
        local left = rcall("HINCRBY", base .. "gq", gid, -1)
        if left <= 0 then rcall("HDEL", base .. "gq", gid) end
        rcall("HINCRBY", base .. "ga", gid, 1)
        refreshGroup(base, gid, active + 1, limit, true, left > 0)
        rcall("LPUSH", activeKey, jobId)
        return jobId
      end
    end
  end
  return nil
end
