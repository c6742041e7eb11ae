-- moveToFinished: completes or fails an active job, keeps or removes it, and optionally fetches the next job.
-- A grouped job frees its group's slot (includes/groups).
-- KEYS: 1 wait, 2 active, 3 prioritized, 4 delayed, 5 events, 6 meta, 7 limiter, 8 marker, 9 pc, 10 stalled,
--       11 the target set (completed or failed)
-- ARGV: 1 base key, 2 job id, 3 lock token, 4 now ms, 5 target ("completed" | "failed"),
--       6 return value JSON or failed reason, 7 stacktrace JSON (""), 8 attempts allowed,
--       9 keep count (-1 all, 0 none), 10 keep age seconds (""), 11 keep limit, 12 fetch next ("1"),
--       13 lock duration ms, 14 limiter max (""), 15 limiter duration ms (""), 16 worker name ("")
-- Returns -1 missing job, -2 missing lock, -3 not active, -4 pending children, -6 lock held by another token,
-- -9 a child failed with failParentOnFailure;
-- else 0, or the fetchJob tuple when fetching the next job.
-- @include queueState
-- @include groups
-- @include fetchJob
-- @include parents

local base, jobId, token, now, target = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4]), ARGV[5]
local jobKey = base .. jobId
if rcall("EXISTS", jobKey) == 0 then return -1 end
if target == "completed" and rcall("EXISTS", jobKey .. ":dependencies", jobKey .. ":unsuccessful") > 0 then
  if rcall("SCARD", jobKey .. ":dependencies") > 0 then return -4 end
  if rcall("ZCARD", jobKey .. ":unsuccessful") > 0 then return -9 end
end
local lock = releaseLock(jobKey, token, KEYS[10], jobId)
if lock < 0 then return lock end
if rcall("LREM", KEYS[2], -1, jobId) == 0 then return -3 end

local meta = readMeta(KEYS[6])
local cap = meta.cap
local links = rcall("HMGET", jobKey, "deid", "parentKey", "parent", "gid", "gact")
local holdsSlot = links[5] ~= false
-- When it fetches the next job, whether the group can be served now does not matter.
local groupReady = links[4] and releaseGroupSlot(base, jobKey, links[4], links[5], ARGV[12] == "1")
local attemptsMade = rcall("HINCRBY", jobKey, "atm", 1)
if target == "completed" then
  rcall("HSET", jobKey, "returnvalue", ARGV[6], "finishedOn", now)
  emit(KEYS[5], cap, "completed", "jobId", jobId, "returnvalue", ARGV[6], "prev", "active")
else
  if ARGV[7] ~= "" then rcall("HSET", jobKey, "stacktrace", ARGV[7]) end
  rcall("HSET", jobKey, "failedReason", ARGV[6], "finishedOn", now)
  rcall("HDEL", jobKey, "defa", "gact")
  holdsSlot = false
  emit(KEYS[5], cap, "failed", "jobId", jobId, "failedReason", ARGV[6], "prev", "active")
  if attemptsMade >= (tonumber(ARGV[8]) or 1) then
    emit(KEYS[5], cap, "retries-exhausted", "jobId", jobId, "attemptsMade", attemptsMade)
  end
end
if links[1] then
  local dedupKey = base .. "de:" .. links[1]
  if rcall("GET", dedupKey) == jobId then rcall("DEL", dedupKey) end
end
local parent = {links[2], links[3]}
if parent[1] then
  if target == "completed" then
    childCompleted(parent[1], jobKey, ARGV[6], now)
  else
    childFailed(parent[1], jobKey, parent[2], ARGV[6], now)
  end
end

local keepCount = tonumber(ARGV[9])
if keepCount == 0 then
  removeJobData(jobKey)
else
  if holdsSlot then rcall("HDEL", jobKey, "gact") end
  rcall("ZADD", KEYS[11], now, jobId)
  local keepAge = tonumber(ARGV[10])
  if keepAge then
    local old = rcall("ZRANGEBYSCORE", KEYS[11], 0, now - keepAge * 1000, "LIMIT", 0, tonumber(ARGV[11]) or 1000)
    for _, oldId in ipairs(old) do
      removeJobData(base .. oldId)
      rcall("ZREM", KEYS[11], oldId)
    end
  end
  if keepCount > 0 then
    local extra = rcall("ZREVRANGE", KEYS[11], keepCount, -1)
    for _, oldId in ipairs(extra) do
      removeJobData(base .. oldId)
      rcall("ZREM", KEYS[11], oldId)
    end
  end
end

-- Drained: nothing waiting, nothing active (as BullMQ says it), and no grouped job queued.
local function emitIfDrained(plainReady)
  if plainReady == 0 and rcall("LLEN", KEYS[2]) == 0 and rcall("EXISTS", base .. "gw") == 0 then
    emit(KEYS[5], cap, "drained")
  end
end

local plainReady = rcall("EXISTS", KEYS[1], KEYS[3])
if ARGV[12] == "1" then
  local k = {wait = KEYS[1], active = KEYS[2], prioritized = KEYS[3], delayed = KEYS[4], events = KEYS[5],
    meta = KEYS[6], limiter = KEYS[7], marker = KEYS[8], pc = KEYS[9]}
  local fetched = fetchJob(k, base, token, ARGV[13], now, ARGV[14], ARGV[15], ARGV[16], meta, plainReady)
  -- A fetched job is active, so the queue is not drained; otherwise look again (due delayed jobs may have moved).
  if fetched[1] == 0 then emitIfDrained(rcall("EXISTS", KEYS[1], KEYS[3])) end
  return fetched
end
emitIfDrained(plainReady)
if groupReady and not metaPausedOrMaxed(meta, KEYS[2]) then addBaseMarker(KEYS[8]) end
return 0
