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

-- Sets fields of a job hash (HSET) and in the flat field list read from it.
local function setJobFields(jobKey, fields, updates)
  rcall("HSET", jobKey, unpack(updates))
  for u = 1, #updates, 2 do
    local found = false
    for f = 1, #fields, 2 do
      if fields[f] == updates[u] then
        fields[f + 1] = tostring(updates[u + 1])
        found = true
        break
      end
    end
    if not found then
      table.insert(fields, updates[u])
      table.insert(fields, tostring(updates[u + 1]))
    end
  end
end

local function fieldValue(fields, name)
  for f = 1, #fields, 2 do
    if fields[f] == name then return fields[f + 1] end
  end
  return nil
end

-- When the next delayed job is due (ms), 0 when none.
local function nextDelayedDue(k)
  local first = rcall("ZRANGE", k.delayed, 0, 0, "WITHSCORES")
  if first[2] then return math.floor(tonumber(first[2]) / 4096) end
  return 0
end

-- Returns {job fields, jobId, 0, next delayed due time (when no other job is ready), more (1 when another job is
-- ready: the marker is set)}, or {0, 0, rate limit ttl, 0}, or {0, 0, 0, next delayed due time}.
-- `plainReady`: EXISTS of `wait` and `prioritized` when the caller has just read it (0: take from the groups at
-- once); nil to look.
local function fetchJob(k, base, token, lockDuration, now, limiterMax, limiterDuration, workerName, meta, plainReady)
  local cap = meta.cap
  local promoted = promoteDueJobs(k, base, now, cap)
  local pausedOrMaxed = metaPausedOrMaxed(meta, k.active)
  if promoted > 0 then
    plainReady = nil
    if not pausedOrMaxed then addBaseMarker(k.marker) end
  end

  local maxJobs = tonumber(meta.max or limiterMax)
  local duration = tonumber(limiterDuration) or tonumber(meta.duration)
  -- Without a limit, only a manual rate limit (the counter set to 2^53 - 1) holds workers back.
  local ttl = rcall("PTTL", k.limiter)
  if ttl > 0 and (tonumber(rcall("GET", k.limiter)) or 0) >= (maxJobs or 9007199254740991) then
    return {0, 0, ttl, 0}
  end
  if pausedOrMaxed then return {0, 0, 0, 0} end

  local jobId
  if plainReady ~= 0 then
    jobId = rcall("RPOPLPUSH", k.wait, k.active)
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
  end
  -- From here on `wait` and `prioritized` are known empty when the job is a grouped one.
  local fields, grouped, ringLeft, groupLimitNow
  if not jobId then
    jobId, fields, ringLeft, groupLimitNow = takeGrouped(base, k.active)
    grouped = jobId ~= nil
  end
  if not jobId then return {0, 0, 0, nextDelayedDue(k)} end

  local jobKey = base .. jobId
  fields = fields or rcall("HGETALL", jobKey)
  if maxJobs and duration and not fieldValue(fields, "defa") then
    if rcall("INCR", k.limiter) == 1 then rcall("PEXPIRE", k.limiter, duration) end
  end
  if token ~= "0" then rcall("SET", jobKey .. ":lock", token, "PX", lockDuration) end
  emit(k.events, cap, "active", "jobId", jobId, "prev", "waiting")
  local updates = {"processedOn", now, "ats", (tonumber(fieldValue(fields, "ats")) or 0) + 1}
  if workerName ~= "" then
    table.insert(updates, "pb")
    table.insert(updates, workerName)
  end
  if grouped then
    table.insert(updates, "gact")
    table.insert(updates, slotMark(groupLimitNow))
  end
  setJobFields(jobKey, fields, updates)
  local more
  if grouped then
    more = ringLeft or rcall("EXISTS", base .. "grl") == 1
  else
    more = rcall("LLEN", k.wait) > 0 or rcall("ZCARD", k.prioritized) > 0 or rcall("EXISTS", base .. "grl") == 1
  end
  if more then
    addBaseMarker(k.marker)
    return {fields, jobId, 0, 0, 1}
  end
  return {fields, jobId, 0, nextDelayedDue(k), 0}
end
