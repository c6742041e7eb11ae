-- Relay's per-group (per-user) concurrency with round-robin turns; BullMQ clients never read these keys.
-- Under the queue's base key:
--   g:<gid>:wait  zset   the group's ready jobs; score = priority band (priority * 2^32) + FIFO sequence, so jobs
--                        without priority come first, then by priority, FIFO within one (the head of a band for
--                        stalled jobs, LIFO jobs just after it)
--   grl           list   the ring: each group with a queued job and a free slot, once, in turn order, as
--                        "<limit> <gid>" (limit "-": none; rewritten when the limit changes); a fetch serves the
--                        head, and the group goes back to the tail while it is still eligible
--   ga            hash   gid -> jobs holding one of the group's slots
--   gq            hash   gid -> jobs queued in g:<gid>:wait
--   gc            hash   gid -> concurrency override; the field "" (never a group id) holds the default per group
--                        (none: unlimited)
--   gseq          string FIFO sequence
-- Job hash fields: `gid` (the group) and `gact` ("1" while the job holds a slot; cleared exactly once on release).
-- A group is in `grl` exactly when gq > 0 and ga < its limit: every change to gq, ga or a limit moves it in or out
-- on that transition (so the ring is never searched on the hot path, and a fetch reads the limit from the entry).
-- A fetch still checks the limit and the queue of the group it serves, and skips queued ids whose job hash is gone.
-- Needs queueState.

local GROUP_BAND = 0x100000000
local GROUP_HALF = 0x80000000

local function groupLimit(base, gid)
  local limits = rcall("HMGET", base .. "gc", gid, "")
  return tonumber(limits[1] or limits[2]) or math.huge
end

local function groupCount(base, hash, gid)
  return tonumber(rcall("HGET", base .. hash, gid)) or 0
end

-- A group's entry in the ring: its limit ("-" for none), a space, its id.
local function ringEntry(gid, limit)
  if limit == math.huge then return "- " .. gid end
  return limit .. " " .. gid
end

-- The group id and limit of a ring entry.
local function parseRingEntry(entry)
  local space = string.find(entry, " ", 1, true)
  return string.sub(entry, space + 1), tonumber(string.sub(entry, 1, space - 1)) or math.huge
end

-- Moves a group into the ring (at the tail) or out of it, from `was` (in it) to `now`; returns `now`.
local function placeInRing(base, gid, limit, was, now)
  if now and not was then
    rcall("RPUSH", base .. "grl", ringEntry(gid, limit))
  elseif was and not now then
    rcall("LREM", base .. "grl", 1, ringEntry(gid, limit))
  end
  return now
end

-- Queues a ready job in its group: where = "tail" (FIFO), "lifo" or "head" (stalled recovery).
-- Returns true when the group can be served now.
local function pushGrouped(base, gid, jobId, priority, where)
  local score = priority * GROUP_BAND
  if where ~= "head" then
    local sequence = rcall("INCR", base .. "gseq") % GROUP_HALF
    if where == "lifo" then score = score + GROUP_HALF - sequence else score = score + GROUP_HALF + sequence end
  end
  -- Already queued (a new score only): nothing else changes.
  if rcall("ZADD", base .. "g:" .. gid .. ":wait", score, jobId) == 0 then
    return groupCount(base, "ga", gid) < groupLimit(base, gid)
  end
  local queued = rcall("HINCRBY", base .. "gq", gid, 1)
  local limit = groupLimit(base, gid)
  local free = groupCount(base, "ga", gid) < limit
  if queued == 1 then placeInRing(base, gid, limit, false, free) end
  return free
end

-- Takes a job out of its group's queue (cancel, remove); true when it was queued there.
local function unqueueGrouped(base, gid, jobId)
  if rcall("ZREM", base .. "g:" .. gid .. ":wait", jobId) == 0 then return false end
  if rcall("HINCRBY", base .. "gq", gid, -1) <= 0 then
    rcall("HDEL", base .. "gq", gid)
    local limit = groupLimit(base, gid)
    placeInRing(base, gid, limit, groupCount(base, "ga", gid) < limit, false)
  end
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
-- Returns true when its group can now be served; `quiet`: the caller does not need to know (saves a call).
local function releaseGroupSlot(base, jobKey, gid, holds, quiet)
  gid = gid or rcall("HGET", jobKey, "gid")
  if not gid then return false end
  if holds == nil then holds = rcall("HDEL", jobKey, "gact") == 1 end
  if not holds then return false end
  local active = decrementActive(base, gid)
  local limit = groupLimit(base, gid)
  if active >= limit then return false end
  if active + 1 < limit and quiet then return false end
  local queued = groupCount(base, "gq", gid) > 0
  -- It had a free slot already (and is in the ring when it has queued jobs), or it just got one.
  if active + 1 >= limit then placeInRing(base, gid, limit, false, queued) end
  return queued
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
-- (the served one went back to it); nil when none.
local function takeGrouped(base, activeKey)
  local ring = base .. "grl"
  for _ = 1, 50 do
    local entry = rcall("LPOP", ring)
    if not entry then return nil end
    local gid, limit = parseRingEntry(entry)
    local active = rcall("HINCRBY", base .. "ga", gid, 1)
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
        if rejoins then rcall("RPUSH", ring, entry) end
        rcall("LPUSH", activeKey, jobId)
        return jobId, fields, rejoins
      end
    end
    -- Not eligible after all (only after a change the ring missed): it stays out.
    decrementActive(base, gid)
  end
  return nil
end
