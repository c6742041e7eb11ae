-- Flows: what a finishing child does to its parent, on the parent's queue (its keys derive from the parent key).
-- Needs queueState and groups.

-- The parent leaves waiting-children for delayed, prioritized or the head of wait, on its own queue.
local function releaseParent(parentKey, now)
  local separator = string.find(parentKey, ":[^:]*$")
  local parentQueue = string.sub(parentKey, 1, separator)
  local parentId = string.sub(parentKey, separator + 1)
  if rcall("ZREM", parentQueue .. "waiting-children", parentId) == 0 then return end
  local cap = eventsCap(parentQueue .. "meta")
  local fields = rcall("HMGET", parentKey, "delay", "priority")
  local delay = tonumber(fields[1]) or 0
  if delay > 0 then
    local due = now + delay
    rcall("ZADD", parentQueue .. "delayed", delayedScore(parentQueue .. "delayed", due), parentId)
    emit(parentQueue .. "events", cap, "delayed", "jobId", parentId, "delay", due)
    addDelayMarker(parentQueue .. "marker", parentQueue .. "delayed")
    return
  end
  local priority = tonumber(fields[2]) or 0
  local gid = rcall("HGET", parentKey, "gid")
  if gid then
    pushGrouped(parentQueue, gid, parentId, priority, "head")
  elseif priority > 0 then
    pushReady(parentQueue .. "wait", parentQueue .. "prioritized", parentQueue .. "pc", parentId, priority, false)
  else
    rcall("RPUSH", parentQueue .. "wait", parentId)
  end
  if not isPausedOrMaxed(parentQueue .. "meta", parentQueue .. "active") then addBaseMarker(parentQueue .. "marker") end
  emit(parentQueue .. "events", cap, "waiting", "jobId", parentId, "prev", "waiting-children")
end

-- A child completed: record its value, and release the parent when no dependency is left.
local function childCompleted(parentKey, childKey, returnValue, now)
  if rcall("EXISTS", parentKey) == 0 then return end
  rcall("SREM", parentKey .. ":dependencies", childKey)
  rcall("HSET", parentKey .. ":processed", childKey, returnValue)
  if rcall("SCARD", parentKey .. ":dependencies") == 0 then releaseParent(parentKey, now) end
end

-- A child failed for good: apply its failure policy (fpof, cpof, idof, rdof; none leaves the parent waiting).
local function childFailed(parentKey, childKey, parentJson, reason, now)
  if rcall("EXISTS", parentKey) == 0 or not parentJson then return end
  local ok, parent = pcall(cjson.decode, parentJson)
  if not ok or type(parent) ~= "table" then return end
  if parent["fpof"] then
    rcall("SREM", parentKey .. ":dependencies", childKey)
    rcall("ZADD", parentKey .. ":unsuccessful", now, childKey)
    rcall("HSET", parentKey, "defa", "child " .. childKey .. " failed")
    releaseParent(parentKey, now)
  elseif parent["cpof"] then
    rcall("SREM", parentKey .. ":dependencies", childKey)
    rcall("HSET", parentKey .. ":failed", childKey, reason)
    releaseParent(parentKey, now)
  elseif parent["idof"] or parent["rdof"] then
    rcall("SREM", parentKey .. ":dependencies", childKey)
    if parent["idof"] then rcall("HSET", parentKey .. ":failed", childKey, reason) end
    if rcall("SCARD", parentKey .. ":dependencies") == 0 then releaseParent(parentKey, now) end
  end
end
