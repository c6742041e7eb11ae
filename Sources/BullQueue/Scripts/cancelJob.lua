-- cancelJob: Relay's cross-process cancel, invisible to BullMQ workers.
-- A job not yet started fails at once ("cancelled: <reason>"). An active job gets the `cxl` field and its id is
-- published on the queue's cancel channel; the Relay worker holding it stops the processor and fails the job
-- (a BullMQ worker ignores both and finishes the job as usual). Lock renewal also reports `cxl`, so a missed
-- message still reaches the worker within a renewal interval. A grouped job still queued leaves its group's queue.
-- KEYS: 1 wait, 2 active, 3 prioritized, 4 delayed, 5 failed, 6 events, 7 meta, 8 paused
-- ARGV: 1 base key, 2 job id, 3 reason, 4 now ms, 5 cancel channel
-- Returns 2 failed before it started, 1 signalled to its worker, 0 already finished, -1 no such job.
-- @include queueState
-- @include groups

local base, jobId, reason, now = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
local jobKey = base .. jobId
if rcall("EXISTS", jobKey) == 0 then return -1 end
if rcall("LPOS", KEYS[2], jobId) then
  rcall("HSET", jobKey, "cxl", reason)
  rcall("PUBLISH", ARGV[5], jobId)
  return 1
end
local previous
local gid = rcall("HGET", jobKey, "gid")
if gid and unqueueGrouped(base, gid, jobId) then previous = "waiting"
elseif rcall("LREM", KEYS[1], 0, jobId) > 0 then previous = "waiting"
elseif rcall("LREM", KEYS[8], 0, jobId) > 0 then previous = "waiting"
elseif rcall("ZREM", KEYS[3], jobId) > 0 then previous = "prioritized"
elseif rcall("ZREM", KEYS[4], jobId) > 0 then previous = "delayed"
else return 0 end
local cap = eventsCap(KEYS[7])
local failedReason = "cancelled: " .. reason
rcall("HSET", jobKey, "failedReason", failedReason, "finishedOn", now, "cxl", reason)
rcall("ZADD", KEYS[5], now, jobId)
releaseDeduplication(base, jobKey, jobId)
emit(KEYS[6], cap, "failed", "jobId", jobId, "failedReason", failedReason, "prev", previous)
return 2
