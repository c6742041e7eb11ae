-- obliterate: deletes a paused queue and everything under its base key, a batch per call.
-- Queue names never contain ':', so `<base>*` holds this queue's keys only.
-- KEYS: 1 meta, 2 active
-- ARGV: 1 base key, 2 keys to delete per call, 3 force ("1": even with active jobs)
-- Returns 0 when done, 1 when keys remain (call again), -1 not paused, -2 active jobs without force.
local rcall = redis.call
if rcall("HEXISTS", KEYS[1], "paused") == 0 then return -1 end
if ARGV[3] ~= "1" and rcall("LLEN", KEYS[2]) > 0 then return -2 end
local budget = tonumber(ARGV[2])
local cursor = "0"
repeat
  local page = rcall("SCAN", cursor, "MATCH", ARGV[1] .. "*", "COUNT", 1000)
  cursor = page[1]
  for _, key in ipairs(page[2]) do
    if key ~= KEYS[1] then
      rcall("DEL", key)
      budget = budget - 1
    end
  end
until cursor == "0" or budget <= 0
if budget <= 0 then return 1 end
rcall("DEL", KEYS[1])
return 0
