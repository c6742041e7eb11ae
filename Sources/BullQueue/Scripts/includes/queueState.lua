-- Shared helpers: the events cap, pause and global-concurrency state, markers, scores.

local rcall = redis.call

-- The events stream cap from meta `opts.maxLenEvents`, written with the default 10000 when missing.
local function eventsCap(metaKey)
  local cap = rcall("HGET", metaKey, "opts.maxLenEvents")
  if not cap then
    rcall("HSET", metaKey, "opts.maxLenEvents", 10000)
    return 10000
  end
  return tonumber(cap)
end

-- The meta fields the hot scripts need, in one call: {cap (as eventsCap), paused, concurrency, max, duration}
-- (false when missing).
local function readMeta(metaKey)
  local fields = rcall("HMGET", metaKey, "opts.maxLenEvents", "paused", "concurrency", "max", "duration")
  local cap = tonumber(fields[1])
  if not cap then
    rcall("HSET", metaKey, "opts.maxLenEvents", 10000)
    cap = 10000
  end
  return {cap = cap, paused = fields[2], concurrency = fields[3], max = fields[4], duration = fields[5]}
end

-- Milliseconds since the epoch by the Redis server's clock.
local function serverNow()
  local time = rcall("TIME")
  return tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
end

local function emit(eventsKey, cap, ...)
  rcall("XADD", eventsKey, "MAXLEN", "~", cap, "*", "event", ...)
end

-- True when the queue is paused, or its global concurrency is reached.
local function isPausedOrMaxed(metaKey, activeKey)
  local state = rcall("HMGET", metaKey, "paused", "concurrency")
  if state[1] then return true end
  if state[2] then return rcall("LLEN", activeKey) >= tonumber(state[2]) end
  return false
end

-- isPausedOrMaxed for meta already read (readMeta).
local function metaPausedOrMaxed(meta, activeKey)
  if meta.paused then return true end
  if meta.concurrency then return rcall("LLEN", activeKey) >= tonumber(meta.concurrency) end
  return false
end

-- Marker "0": jobs are ready now.
local function addBaseMarker(markerKey)
  rcall("ZADD", markerKey, 0, "0")
end

-- Marker "1": the due time (ms) of the earliest delayed job.
local function addDelayMarker(markerKey, delayedKey)
  local first = rcall("ZRANGE", delayedKey, 0, 0, "WITHSCORES")
  if first[2] then rcall("ZADD", markerKey, tonumber(first[2]) / 4096, "1") end
end

-- Score in `delayed`: due * 4096 + a sequence that keeps jobs due in the same millisecond in order.
local function delayedScore(delayedKey, due)
  local lowest = due * 4096
  local last = rcall("ZREVRANGEBYSCORE", delayedKey, lowest + 4095, lowest, "WITHSCORES", "LIMIT", 0, 1)
  if last[2] then
    local sequence = tonumber(last[2]) - lowest + 1
    if sequence > 4095 then sequence = 4095 end
    return lowest + sequence
  end
  return lowest
end

-- Makes a job ready: `prioritized` (priority * 2^32 + counter) when it has a priority, else `wait`
-- (left = tail; LIFO jobs go to the right, the head that workers take from).
local function pushReady(waitKey, prioritizedKey, pcKey, jobId, priority, lifo)
  if priority > 0 then
    local counter = rcall("INCR", pcKey)
    rcall("ZADD", prioritizedKey, priority * 0x100000000 + counter % 0x100000000, jobId)
  elseif lifo then
    rcall("RPUSH", waitKey, jobId)
  else
    rcall("LPUSH", waitKey, jobId)
  end
end

local function isLifo(optsJson)
  if not optsJson then return false end
  local ok, opts = pcall(cjson.decode, optsJson)
  return ok and type(opts) == "table" and opts["lifo"] == true
end

-- Deletes a job's hash and every key that belongs to it.
local function removeJobData(jobKey)
  rcall("DEL", jobKey, jobKey .. ":logs", jobKey .. ":lock", jobKey .. ":dependencies",
    jobKey .. ":processed", jobKey .. ":failed", jobKey .. ":unsuccessful")
end

-- Checks the lock before a job leaves `active`: 0 released, -2 missing, -6 held by another token.
local function releaseLock(jobKey, token, stalledKey, jobId)
  if token == "0" then return 0 end
  local lockKey = jobKey .. ":lock"
  local holder = rcall("GET", lockKey)
  if holder == token then
    rcall("DEL", lockKey)
    rcall("SREM", stalledKey, jobId)
    return 0
  end
  if holder then return -6 end
  return -2
end

-- Deletes the deduplication key when it still points to this job.
local function releaseDeduplication(base, jobKey, jobId)
  local dedupId = rcall("HGET", jobKey, "deid")
  if dedupId then
    local dedupKey = base .. "de:" .. dedupId
    if rcall("GET", dedupKey) == jobId then rcall("DEL", dedupKey) end
  end
end
