-- Relay's per-group (per-user) concurrency with round-robin turns; BullMQ clients never read these keys.
-- Under the queue's base key:
--   g:<gid>:wait    list   the group's ready jobs without priority, as BullMQ's `wait`: new ones pushed on the
--                          left, taken from the right (RPOPLPUSH into `active`), LIFO and stalled ones pushed on
--                          the right; served before the prioritized ones
--   g:<gid>:prio    zset   the group's ready jobs with a priority; score = priority * 2^32 + FIFO sequence (the
--                          head of a priority for stalled jobs, LIFO jobs just after it)
--   g:<gid>:active  string jobs holding one of the group's slots (absent: none)
--   gw              set    the groups with queued jobs (changed only when a group's queue fills or empties)
--   grl             list   the ring: each group with a queued job and a free slot, once, as "<limit> <gid>"
--                          (limit "-": none; rewritten when the limit changes); the tail's turn is next, groups
--                          join at the head; a fetch rotates the tail to the head (RPOPLPUSH onto itself, one call)
--                          and takes it off again when the group is no longer eligible
--   gc              hash   gid -> concurrency override; the field "" (never a group id) holds the default per
--                          group (none: unlimited)
--   gseq            string FIFO sequence
-- Per-group keys keep the hot path off hashes with a field per user, whose updates get slower with every user,
-- and a list makes taking a job one call (earlier builds kept the counts in the hashes `ga` and `gq` and each
-- queue in one sorted set; migrateGroupLayout moves them).
-- Job hash fields: `gid` (the group) and `gact` (set while the job holds a slot, cleared exactly once on release;
-- "=<limit>" or "=-": the group's limit, kept current by setGroupConcurrency, so finishing need not read `gc`;
-- "1" from earlier builds: read `gc`).
-- A group is in `grl` exactly when its queue is not empty and its active count is under its limit: every change to
-- either or to a limit moves it in or out on that transition (so the ring is never searched on the hot path, and a
-- fetch reads the limit from the entry). A fetch still checks the limit and the queue of the group it serves, and
-- skips queued ids whose job hash is gone.
-- Needs queueState.

local GROUP_BAND = 0x100000000
local GROUP_HALF = 0x80000000

local function groupLimit(base, gid)
  local limits = rcall("HMGET", base .. "gc", gid, "")
  return tonumber(limits[1] or limits[2]) or math.huge
end

local function groupKey(base, gid, part)
  return base .. "g:" .. gid .. ":" .. part
end

local function activeCount(base, gid)
  return tonumber(rcall("GET", groupKey(base, gid, "active"))) or 0
end

local function hasQueued(base, gid)
  return rcall("EXISTS", groupKey(base, gid, "wait"), groupKey(base, gid, "prio")) > 0
end

-- A group's entry in the ring: its limit ("-" for none), a space, its id.
local function ringEntry(gid, limit)
  if limit == math.huge then return "- " .. gid end
  return limit .. " " .. gid
end

-- The `gact` value of a job holding a slot of a group with this limit.
local function slotMark(limit)
  if limit == math.huge then return "=-" end
  return "=" .. limit
end

-- The limit a `gact` value carries; nil for the plain marks of earlier builds.
local function markedLimit(mark)
  if string.sub(mark, 1, 1) ~= "=" then return nil end
  return tonumber(string.sub(mark, 2)) or math.huge
end

-- The group id and limit of a ring entry.
local function parseRingEntry(entry)
  local space = string.find(entry, " ", 1, true)
  return string.sub(entry, space + 1), tonumber(string.sub(entry, 1, space - 1)) or math.huge
end

-- Moves a group into the ring (at the back of the line: the head) or out of it, from `was` (in it) to `now`; returns `now`.
local function placeInRing(base, gid, limit, was, now)
  if now and not was then
    rcall("LPUSH", base .. "grl", ringEntry(gid, limit))
  elseif was and not now then
    rcall("LREM", base .. "grl", 1, ringEntry(gid, limit))
  end
  return now
end

-- Queues a ready job in its group: where = "tail" (FIFO), "lifo" or "head" (stalled recovery).
-- Returns true when the group can be served now.
local function pushGrouped(base, gid, jobId, priority, where)
  local waitKey, prioKey = groupKey(base, gid, "wait"), groupKey(base, gid, "prio")
  local queued
  if priority == 0 then
    queued = rcall(where == "tail" and "LPUSH" or "RPUSH", waitKey, jobId)
    if queued == 1 then queued = queued + rcall("ZCARD", prioKey) end
  else
    local score = priority * GROUP_BAND
    if where ~= "head" then
      local sequence = rcall("INCR", base .. "gseq") % GROUP_HALF
      if where == "lifo" then score = score + GROUP_HALF - sequence else score = score + GROUP_HALF + sequence end
    end
    -- Already queued (a new score only): nothing else changes.
    if rcall("ZADD", prioKey, score, jobId) == 0 then return activeCount(base, gid) < groupLimit(base, gid) end
    queued = rcall("ZCARD", prioKey)
    if queued == 1 then queued = queued + rcall("LLEN", waitKey) end
  end
  local limit = groupLimit(base, gid)
  local free = activeCount(base, gid) < limit
  if queued == 1 then
    rcall("SADD", base .. "gw", gid)
    placeInRing(base, gid, limit, false, free)
  end
  return free
end

-- Takes a job out of its group's queue (cancel, remove); true when it was queued there.
local function unqueueGrouped(base, gid, jobId)
  if rcall("LREM", groupKey(base, gid, "wait"), 1, jobId) == 0
    and rcall("ZREM", groupKey(base, gid, "prio"), jobId) == 0 then
    return false
  end
  if not hasQueued(base, gid) then
    rcall("SREM", base .. "gw", gid)
    local limit = groupLimit(base, gid)
    placeInRing(base, gid, limit, activeCount(base, gid) < limit, false)
  end
  return true
end

-- One slot fewer held by the group; returns how many it still holds.
local function decrementActive(base, gid)
  local key = groupKey(base, gid, "active")
  local active = rcall("DECR", key)
  if active > 0 then return active end
  rcall("DEL", key)
  return 0
end

-- Frees the slot a job holds, once (`gid`: its group, when the caller has read it). `mark`: the job's `gact` value
-- (false: none), when the caller has read it (the caller then clears that field); nil to clear it here.
-- Returns true when its group can now be served; `quiet`: the caller does not need to know (saves a call).
local function releaseGroupSlot(base, jobKey, gid, mark, quiet)
  gid = gid or rcall("HGET", jobKey, "gid")
  if not gid then return false end
  if mark == nil then mark = rcall("HDEL", jobKey, "gact") == 1 and "1" end
  if not mark then return false end
  local active = decrementActive(base, gid)
  local limit = markedLimit(mark) or groupLimit(base, gid)
  if active >= limit then return false end
  if active + 1 < limit and quiet then return false end
  local queued = hasQueued(base, gid)
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

-- Whether a job hash read from a group's queue is not a ready job after all: one holding a slot or finished (its
-- id was left in the list by a client that does not know groups, and the id was then used again).
local function isStaleEntry(fields)
  for f = 1, #fields, 2 do
    if fields[f] == "gact" or fields[f] == "finishedOn" then return true end
  end
  return false
end

-- The next grouped job, for the group whose turn it is: moved to `active` and counted, holding a slot once
-- the caller sets its `gact` field to slotMark(limit). Returns its id, its job hash (HGETALL), whether the ring
-- still has a group (the served one went back to it) and the group's limit; nil when none.
local function takeGrouped(base, activeKey)
  local ring = base .. "grl"
  for _ = 1, 50 do
    -- The group whose turn it is, moved to the back of the line at once: most groups stay eligible.
    local entry = rcall("RPOPLPUSH", ring, ring)
    if not entry then return nil end
    local gid, limit = parseRingEntry(entry)
    local active = rcall("INCR", groupKey(base, gid, "active"))
    if active <= limit then
      local waitKey, prioKey = groupKey(base, gid, "wait"), groupKey(base, gid, "prio")
      local jobId, fields
      repeat
        jobId = rcall("RPOPLPUSH", waitKey, activeKey)
        if not jobId then
          jobId = rcall("ZPOPMIN", prioKey)[1]
          if not jobId then break end
          rcall("LPUSH", activeKey, jobId)
        end
        fields = rcall("HGETALL", base .. jobId)
        -- Gone or stale: drop the copy just put at the head of `active`.
        if #fields == 0 or isStaleEntry(fields) then
          rcall("LREM", activeKey, 1, jobId)
          fields = {}
        end
      until #fields > 0
      local left = jobId ~= nil and (rcall("LLEN", waitKey) > 0 or rcall("EXISTS", prioKey) == 1)
      if not left then rcall("SREM", base .. "gw", gid) end
      if jobId then
        local stays = active < limit and left
        if not stays then rcall("LPOP", ring) end
        return jobId, fields, stays, limit
      end
    end
    -- Not eligible after all (only after a change the ring missed): it leaves.
    rcall("LPOP", ring)
    decrementActive(base, gid)
  end
  return nil
end
