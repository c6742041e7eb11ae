-- rateLimit: admits one request of a user against its requests-per-minute and tokens-per-minute limits (GCRA),
-- atomically for every ingress process. Nothing is recorded unless both limits admit the request. Runs on its own
-- or as a prelude to adding the request's job (AddPrelude), in the add's script call.
-- KEYS: 1 the user's limits hash (rpm, tpm: overrides set by an admin), 2 the requests' theoretical arrival time,
--       3 the tokens' theoretical arrival time
-- ARGV: 1 default rpm (0: none), 2 default tpm (0: none), 3 the request's token cost
-- Returns nothing when admitted, {0, retry-after ms, "rpm"|"tpm"} when over a limit, and
-- {0, -1, "tpm"} when the request alone needs more than a minute's tokens.
local rcall = redis.call
local time = rcall("TIME")
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local window = 60000
local limits = rcall("HMGET", KEYS[1], "rpm", "tpm")
local rpm = tonumber(limits[1]) or tonumber(ARGV[1]) or 0
local tpm = tonumber(limits[2]) or tonumber(ARGV[2]) or 0
local cost = tonumber(ARGV[3]) or 0

-- The new arrival time for `amount` units at `rate` per minute, or nil and the wait.
local function next_arrival(key, rate, amount)
  local interval = window / rate
  local tat = tonumber(rcall("GET", key)) or now
  if tat < now then tat = now end
  local new_tat = tat + amount * interval
  local over = new_tat - now - window
  if over > 0 then return nil, math.ceil(over) end
  return new_tat, 0
end

local request_tat, token_tat
if rpm > 0 then
  local wait
  request_tat, wait = next_arrival(KEYS[2], rpm, 1)
  if not request_tat then return {0, wait, "rpm"} end
end
if tpm > 0 and cost > 0 then
  if cost > tpm then return {0, -1, "tpm"} end
  local wait
  token_tat, wait = next_arrival(KEYS[3], tpm, cost)
  if not token_tat then return {0, wait, "tpm"} end
end
if request_tat then rcall("SET", KEYS[2], string.format("%.3f", request_tat), "PX", math.ceil(request_tat - now) + 1) end
if token_tat then rcall("SET", KEYS[3], string.format("%.3f", token_tat), "PX", math.ceil(token_tat - now) + 1) end
