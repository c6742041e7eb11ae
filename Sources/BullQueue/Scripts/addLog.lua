-- addLog: appends a line to a job's log, keeping only the newest `keepLogs` lines when set.
-- KEYS: 1 job key, 2 job logs key
-- ARGV: 1 line, 2 keep logs ("" for all)
-- Returns the number of log lines, or -1 when the job does not exist.
local rcall = redis.call
if rcall("EXISTS", KEYS[1]) == 0 then return -1 end
local count = rcall("RPUSH", KEYS[2], ARGV[1])
local keep = tonumber(ARGV[2])
if keep and keep > 0 and count > keep then
  rcall("LTRIM", KEYS[2], -keep, -1)
  return keep
end
return count
