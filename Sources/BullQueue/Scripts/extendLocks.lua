-- extendLocks: renews the locks of the jobs a worker holds, in one call.
-- KEYS: 1 stalled
-- ARGV: 1 base key, 2 lock duration ms, then pairs of job id and lock token
-- Returns {ids whose lock was lost (gone, or held by another token), ids cancelled with Relay's cancelJob}.
local rcall = redis.call
local lost = {}
local cancelled = {}
for index = 3, #ARGV, 2 do
  local jobId, token = ARGV[index], ARGV[index + 1]
  local lockKey = ARGV[1] .. jobId .. ":lock"
  if rcall("GET", lockKey) == token then
    rcall("SET", lockKey, token, "PX", ARGV[2])
    rcall("SREM", KEYS[1], jobId)
    if rcall("HEXISTS", ARGV[1] .. jobId, "cxl") == 1 then table.insert(cancelled, jobId) end
  else
    table.insert(lost, jobId)
  end
end
return {lost, cancelled}
