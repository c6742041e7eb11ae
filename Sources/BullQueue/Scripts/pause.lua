-- pause: pauses or resumes a queue (BullMQ v6: jobs stay in `wait`; meta `paused` is the switch).
-- KEYS: 1 meta, 2 events, 3 marker, 4 wait, 5 prioritized, 6 delayed, 7 paused (v5 list, migrated on resume),
--       8 grl (Relay's ring of groups with a ready job, includes/groups)
-- ARGV: 1 "paused" or "resumed"
-- @include queueState

local cap = eventsCap(KEYS[1])
if ARGV[1] == "paused" then
  rcall("HSET", KEYS[1], "paused", 1)
  rcall("DEL", KEYS[3])
else
  rcall("HDEL", KEYS[1], "paused")
  local legacy = rcall("LRANGE", KEYS[7], -7000, -1)
  for index = #legacy, 1, -1 do
    rcall("RPUSH", KEYS[4], legacy[index])
  end
  if #legacy > 0 then rcall("LTRIM", KEYS[7], 0, -7001) end
  if rcall("EXISTS", KEYS[4], KEYS[5], KEYS[8]) > 0 then addBaseMarker(KEYS[3]) end
  addDelayMarker(KEYS[3], KEYS[6])
end
emit(KEYS[2], cap, ARGV[1])
return 0
