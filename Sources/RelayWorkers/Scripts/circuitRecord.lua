-- circuitRecord: counts a call's outcome in the rolling window and moves the circuit when it should.
-- KEYS: 1 the circuit hash, 2 the rolling window hash (field "<bucket start>:s" or ":f" → count)
-- ARGV: 1 now ms, 2 "1" success / "0" failure, 3 "1" when the call was the half-open probe,
--       4 rolling window ms, 5 bucket ms, 6 volume threshold, 7 error threshold percentage,
--       8 how many such outcomes (default 1), 9 "1" to only count them (successes tallied later: never moves the circuit)
-- Returns the new state when it changed ("open", "closed"), else "".
local rcall = redis.call
local now, success, probe = tonumber(ARGV[1]), ARGV[2] == "1", ARGV[3] == "1"
local count, tallyOnly = tonumber(ARGV[8]) or 1, ARGV[9] == "1"
local state = rcall("HGET", KEYS[1], "state") or "closed"
if tallyOnly and state ~= "closed" then return "" end
if probe or state == "half-open" then
  local next = success and "closed" or "open"
  rcall("DEL", KEYS[2])
  rcall("HSET", KEYS[1], "state", next, "openedAt", now)
  rcall("HDEL", KEYS[1], "probeUntil")
  return next
end
local window = tonumber(ARGV[4])
local bucket = now - now % tonumber(ARGV[5])
rcall("HINCRBY", KEYS[2], bucket .. (success and ":s" or ":f"), count)
rcall("PEXPIRE", KEYS[2], window * 2)
local successes, failures = 0, 0
local counts = rcall("HGETALL", KEYS[2])
for index = 1, #counts, 2 do
  local field = counts[index]
  local start = tonumber(string.sub(field, 1, -3))
  if start <= now - window then
    rcall("HDEL", KEYS[2], field)
  elseif string.sub(field, -1) == "s" then
    successes = successes + tonumber(counts[index + 1])
  else
    failures = failures + tonumber(counts[index + 1])
  end
end
if state ~= "closed" or success then return "" end
local total = successes + failures
if total >= tonumber(ARGV[6]) and failures * 100 >= tonumber(ARGV[7]) * total then
  rcall("HSET", KEYS[1], "state", "open", "openedAt", now)
  return "open"
end
return ""
