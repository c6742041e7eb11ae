-- claimDeadLetters: takes failed jobs (a pool's dead letters) for one `relay dlq` run, so that concurrent runs never
-- get the same job. Claimed ids move from `failed` to the `dlq` zset (score = claim time) until the run settles
-- them; a claim older than the lease (a run that died) is given to the next run.
-- KEYS: 1 failed, 2 dlq
-- ARGV: 1 finished before ms, 2 limit, 3 now ms, 4 lease ms, 5… only these job ids (when given)
-- Returns the claimed ids, oldest failure first.
local rcall = redis.call
local finishedBefore, limit, now, lease = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local claimed = {}
if #ARGV > 4 then
  for index = 5, #ARGV do
    local jobId = ARGV[index]
    local score = rcall("ZSCORE", KEYS[1], jobId)
    if #claimed < limit and score and tonumber(score) <= finishedBefore then
      rcall("ZREM", KEYS[1], jobId)
      rcall("ZADD", KEYS[2], now, jobId)
      table.insert(claimed, jobId)
    end
  end
  return claimed
end
for _, jobId in ipairs(rcall("ZRANGEBYSCORE", KEYS[2], 0, now - lease, "LIMIT", 0, limit)) do
  rcall("ZADD", KEYS[2], now, jobId)
  table.insert(claimed, jobId)
end
if #claimed < limit then
  for _, jobId in ipairs(rcall("ZRANGEBYSCORE", KEYS[1], 0, finishedBefore, "LIMIT", 0, limit - #claimed)) do
    rcall("ZREM", KEYS[1], jobId)
    rcall("ZADD", KEYS[2], now, jobId)
    table.insert(claimed, jobId)
  end
end
return claimed
