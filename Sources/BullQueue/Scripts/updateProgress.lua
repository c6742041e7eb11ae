-- updateProgress: stores a job's progress and announces it.
-- KEYS: 1 job key, 2 events, 3 meta
-- ARGV: 1 job id, 2 progress JSON
-- Returns 0, or -1 when the job does not exist.
-- @include queueState

if rcall("EXISTS", KEYS[1]) == 0 then return -1 end
rcall("HSET", KEYS[1], "progress", ARGV[2])
emit(KEYS[2], eventsCap(KEYS[3]), "progress", "jobId", ARGV[1], "data", ARGV[2])
return 0
