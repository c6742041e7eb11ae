-- Taking the next job: promote due delayed jobs, honour rate limit, pause and global concurrency,
-- take from `wait`, then `prioritized`, then the group whose turn it is (includes/groups), lock it and return it.
-- k: {wait, active, prioritized, delayed, events, meta, limiter, marker, pc}. Needs queueState and groups.

local function promoteDueJobs(k, base, now, cap)
  local due = rcall("ZRANGEBYSCORE", k.delayed, 0, (now + 1) * 4096 - 1, "LIMIT", 0, 1000)
  for _, jobId in ipairs(due) do
    rcall("ZREM", k.delayed, jobId)
    local jobKey = base .. jobId
    local priority = tonumber(rcall("HGET", jobKey, "priority")) or 0
    makeReady(base, k.wait, k.prioritized, k.pc, jobId, priority, false)
    rcall("HSET", jobKey, "delay", 0)
    emit(k.events, cap, "waiting", "jobId", jobId, "prev", "delayed")
  end
  return #due
end

-- Returns {job fields, jobId, 0, 0}, or {0, 0, rate limit ttl, 0}, or {0, 0, 0, next delayed due time}.
local function fetchJob(k, base, token, lockDuration, now, limiterMax, limiterDuration, workerName, cap)
  local meta = rcall("HMGET", k.meta, "paused", "concurrency", "max", "duration")
  local promoted = promoteDueJobs(k, base, now, cap)
  local pausedOrMaxed = meta[1] ~= false or (meta[2] ~= false and rcall("LLEN", k.active) >= tonumber(meta[2]))
  if promoted > 0 and not pausedOrMaxed then addBaseMarker(k.marker) end

  local maxJobs = tonumber(meta[3] or limiterMax)
  local duration = tonumber(limiterDuration) or tonumber(meta[4])
  -- Without a limit, only a manual rate limit (the counter set to 2^53 - 1) holds workers back.
  local ttl = rcall("PTTL", k.limiter)
  if ttl > 0 and (tonumber(rcall("GET", k.limiter)) or 0) >= (maxJobs or 9007199254740991) then
    return {0, 0, ttl, 0}
  end
  if pausedOrMaxed then return {0, 0, 0, 0} end

  local jobId = rcall("RPOPLPUSH", k.wait, k.active)
  while jobId and string.sub(jobId, 1, 2) == "0:" do
    rcall("LREM", k.active, 1, jobId)
    jobId = rcall("RPOPLPUSH", k.wait, k.active)
  end
  if not jobId then
    local popped = rcall("ZPOPMIN", k.prioritized)
    if popped[1] then
      jobId = popped[1]
      rcall("LPUSH", k.active, jobId)
    else
      rcall("DEL", k.pc)
    end
  end
  local grouped = false
  if not jobId then
    jobId = takeGrouped(base, k.active)
    grouped = jobId ~= nil
  end
  if not jobId then
    local first = rcall("ZRANGE", k.delayed, 0, 0, "WITHSCORES")
    if first[2] then return {0, 0, 0, math.floor(tonumber(first[2]) / 4096)} end
    return {0, 0, 0, 0}
  end

  local jobKey = base .. jobId
  if maxJobs and duration and rcall("HEXISTS", jobKey, "defa") == 0 then
    if rcall("INCR", k.limiter) == 1 then rcall("PEXPIRE", k.limiter, duration) end
  end
  if token ~= "0" then rcall("SET", jobKey .. ":lock", token, "PX", lockDuration) end
  emit(k.events, cap, "active", "jobId", jobId, "prev", "waiting")
  local fields = {"processedOn", now}
  if workerName ~= "" then
    table.insert(fields, "pb")
    table.insert(fields, workerName)
  end
  if grouped then
    table.insert(fields, "gact")
    table.insert(fields, 1)
  end
  rcall("HSET", jobKey, unpack(fields))
  rcall("HINCRBY", jobKey, "ats", 1)
  if rcall("LLEN", k.wait) > 0 or rcall("ZCARD", k.prioritized) > 0 or rcall("EXISTS", base .. "gr") == 1 then
    addBaseMarker(k.marker)
  end
  return {rcall("HGETALL", jobKey), jobId, 0, 0}
end
