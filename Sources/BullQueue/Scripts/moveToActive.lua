-- moveToActive: takes the next job for a worker (see includes/fetchJob).
-- KEYS: 1 wait, 2 active, 3 prioritized, 4 delayed, 5 events, 6 meta, 7 limiter, 8 marker, 9 pc
-- ARGV: 1 base key, 2 lock token, 3 lock duration ms, 4 now ms, 5 limiter max (""), 6 limiter duration ms (""),
--       7 worker name ("")
-- Returns {job fields, jobId, 0, next delayed due time, more (1/0)}, {0, 0, rate limit ttl, 0} or
-- {0, 0, 0, next delayed due time} (includes/fetchJob).
-- @include queueState
-- @include groups
-- @include fetchJob

local k = {wait = KEYS[1], active = KEYS[2], prioritized = KEYS[3], delayed = KEYS[4], events = KEYS[5],
  meta = KEYS[6], limiter = KEYS[7], marker = KEYS[8], pc = KEYS[9]}
return fetchJob(k, ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4]), ARGV[5], ARGV[6], ARGV[7], readMeta(k.meta))
