-- addJob: stores a new job and makes it delayed, prioritized or waiting; handles custom ids and deduplication.
-- KEYS: 1 wait, 2 prioritized, 3 delayed, 4 meta, 5 id, 6 events, 7 marker, 8 pc, 9 active
-- ARGV: 1 base key, 2 custom job id ("" for the counter), 3 name, 4 data JSON, 5 opts JSON (short keys),
--       6 timestamp ms, 7 delay ms, 8 priority, 9 lifo ("1"), 10 deduplication id, 11 deduplication ttl ms,
--       12 deduplication extend ("1"), 13 parent job key (""), 14 parent JSON (""), 15 wait for children ("1"),
--       16 group id ("": none; a grouped job waits in its group's queue, see includes/groups)
-- Returns the job id: the new one, the existing one for a duplicate custom id, or the owner of the deduplication id;
-- -5 when the parent does not exist.
-- @include queueState
-- @include groups

local base = ARGV[1]
local counter = rcall("INCR", KEYS[5])
local jobId = ARGV[2]
if jobId == "" then jobId = tostring(counter) end
local jobKey = base .. jobId
local meta = readMeta(KEYS[4])
local cap = meta.cap

local parentKey = ARGV[13]
if parentKey ~= "" and rcall("EXISTS", parentKey) == 0 then return -5 end

if rcall("EXISTS", jobKey) == 1 then
  emit(KEYS[6], cap, "duplicated", "jobId", jobId)
  return jobId
end

local dedupId = ARGV[10]
if dedupId ~= "" then
  local dedupKey = base .. "de:" .. dedupId
  local ttl = tonumber(ARGV[11]) or 0
  local owner = rcall("GET", dedupKey)
  if owner and rcall("PTTL", dedupKey) == -1 and rcall("EXISTS", base .. owner) == 0 then
    rcall("DEL", dedupKey)
    owner = nil
  end
  if owner then
    if ttl > 0 and ARGV[12] == "1" then rcall("PEXPIRE", dedupKey, ttl) end
    emit(KEYS[6], cap, "deduplicated", "jobId", owner, "deduplicationId", dedupId, "deduplicatedJobId", jobId)
    return owner
  end
  if ttl > 0 then
    rcall("SET", dedupKey, jobId, "PX", ttl)
  else
    rcall("SET", dedupKey, jobId)
  end
end

local timestamp = tonumber(ARGV[6])
local delay = tonumber(ARGV[7]) or 0
local priority = tonumber(ARGV[8]) or 0
local fields = {"name", ARGV[3], "data", ARGV[4], "opts", ARGV[5], "timestamp", timestamp, "delay", delay,
  "priority", priority}
if dedupId ~= "" then
  table.insert(fields, "deid")
  table.insert(fields, dedupId)
end
local groupId = ARGV[16] or ""
if groupId ~= "" then
  table.insert(fields, "gid")
  table.insert(fields, groupId)
end
if parentKey ~= "" then
  table.insert(fields, "parentKey")
  table.insert(fields, parentKey)
  table.insert(fields, "parent")
  table.insert(fields, ARGV[14])
  rcall("SADD", parentKey .. ":dependencies", jobKey)
end
rcall("HSET", jobKey, unpack(fields))
emit(KEYS[6], cap, "added", "jobId", jobId, "name", ARGV[3])

if ARGV[15] == "1" then
  rcall("ZADD", base .. "waiting-children", timestamp, jobId)
  emit(KEYS[6], cap, "waiting-children", "jobId", jobId)
elseif delay > 0 then
  local due = timestamp + delay
  rcall("ZADD", KEYS[3], delayedScore(KEYS[3], due), jobId)
  emit(KEYS[6], cap, "delayed", "jobId", jobId, "delay", due)
  addDelayMarker(KEYS[7], KEYS[3])
else
  local ready
  if groupId ~= "" then
    ready = pushGrouped(base, groupId, jobId, priority, ARGV[9] == "1" and "lifo" or "tail")
  else
    pushReady(KEYS[1], KEYS[2], KEYS[8], jobId, priority, ARGV[9] == "1")
    ready = true
  end
  if ready and not metaPausedOrMaxed(meta, KEYS[9]) then addBaseMarker(KEYS[7]) end
  emit(KEYS[6], cap, "waiting", "jobId", jobId)
end
return jobId
