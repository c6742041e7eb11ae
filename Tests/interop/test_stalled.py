"""Locks: stalled-job recovery across implementations, lock renewal for long jobs, graceful shutdown."""

import signal

from harness import assert_subset, compact, event_names, eventually, job_events, never


def _stalled_tail(events: list[dict]) -> list[tuple]:
    return compact(events, "prev")[-5:]


STALLED_RECOVERY = [("active", "waiting"), ("waiting", "active"), ("stalled", None), ("active", "waiting"),
                    ("completed", "active")]


async def test_relay_recovers_job_abandoned_by_python(ctx, relay):
    """Python takes a job with getNextJob and a 500 ms lock, then never renews it; the relay's stalled check requeues it."""
    q = ctx.queue()
    jid = (await q.add("orphan", {"v": 1})).id
    manual = ctx.manual_worker(lock_duration=500)
    job = await manual.getNextJob("py-crashed-token")
    assert job is not None and job.id == jid
    assert await ctx.r.get(ctx.key(f"{jid}:lock")) == "py-crashed-token"

    w = await relay.work(ctx.q, "echo", stalled_interval=700, max_stalled_count=1, exit_after=1)
    [line] = await w.results(1, timeout=10)
    assert_subset(line, {"jobId": jid, "status": "completed", "returnvalue": {"v": 1}})
    h = await ctx.job(jid)
    assert (h["stc"], h["ats"], h["atm"]) == ("1", "2", "1")
    assert "defa" not in h
    assert _stalled_tail(job_events(await ctx.events(), jid)) == STALLED_RECOVERY
    assert (await q.getJobCounts())["completed"] == 1


async def test_relay_fails_job_stalled_more_than_allowed(ctx, relay):
    """maxStalledCount 0: the first recovery marks the job (defa) and the next fetch fails it without running it."""
    q = ctx.queue()
    jid = (await q.add("orphan", {"message": "must not run"}, {"attempts": 1})).id
    manual = ctx.manual_worker(lock_duration=300)
    assert (await manual.getNextJob("py-crashed-token")).id == jid

    w = await relay.work(ctx.q, "echo", stalled_interval=500, max_stalled_count=0, exit_after=1)
    [line] = await w.results(1, timeout=10)
    assert_subset(line, {"jobId": jid, "status": "failed", "failedReason": "job stalled more than allowable limit"})
    h = await ctx.job(jid)
    assert h["stc"] == "1" and "defa" not in h
    assert "returnvalue" not in h
    events = job_events(await ctx.events(), jid)
    assert compact(events, "prev")[-6:] == [
        ("active", "waiting"), ("waiting", "active"), ("stalled", None), ("active", "waiting"), ("failed", "active"),
        ("retries-exhausted", None)]
    assert events[-2]["failedReason"] == "job stalled more than allowable limit"
    assert await q.getJobState(jid) == "failed"


async def test_python_recovers_job_of_killed_relay_worker(ctx, relay):
    q = ctx.queue()
    jid = (await q.add("long", {"ms": 20_000})).id
    w = await relay.work(ctx.q, "sleep", lock_duration=1000, stalled_interval=1000)
    await eventually(lambda: q.getJobState(jid), lambda s: s == "active", what="relay took the job")
    lock = await eventually(lambda: ctx.r.get(ctx.key(f"{jid}:lock")), what="the relay's lock")
    assert lock and lock != "0"
    await w.kill()

    stalled, seen = [], []

    async def proc(job, token):
        seen.append(job.id)
        return {"recovered": True}

    py = ctx.worker(proc, {"stalledInterval": 500, "lockDuration": 5000, "maxStalledCount": 1})
    py.on("stalled", lambda job_id, *rest: stalled.append(job_id))
    await eventually(lambda: q.getJobState(jid), lambda s: s == "completed", timeout=10, what="recovered job done")
    assert stalled == [jid] and seen == [jid]
    h = await ctx.job(jid)
    assert (h["stc"], h["ats"], h["atm"]) == ("1", "2", "1")
    assert _stalled_tail(job_events(await ctx.events(), jid)) == STALLED_RECOVERY


async def test_relay_renews_lock_of_long_job(ctx, relay):
    """A 2.5 s job with a 1 s lock: the relay renews it, so a Python stalled checker running alongside finds nothing."""
    q = ctx.queue()
    jid = (await q.add("long", {"ms": 2500})).id
    w = await relay.work(ctx.q, "sleep", lock_duration=1000, stalled_interval=500, exit_after=1)
    await eventually(lambda: q.getJobState(jid), lambda s: s == "active", what="relay took the job")

    stalled, seen = [], []

    async def proc(job, token):
        seen.append(job.id)

    py = ctx.worker(proc, {"stalledInterval": 300, "lockDuration": 1000})
    py.on("stalled", lambda job_id, *rest: stalled.append(job_id))
    [line] = await w.results(1, timeout=10)
    assert_subset(line, {"jobId": jid, "status": "completed", "returnvalue": {"ms": 2500}})
    assert stalled == [] and seen == []
    h = await ctx.job(jid)
    assert (h["ats"], h["atm"]) == ("1", "1") and h.get("stc", "0") == "0"
    names = event_names(await ctx.events(), jid)
    assert "stalled" not in names and names.count("completed") == 1 and names.count("active") == 1


async def test_python_long_job_is_not_stalled_by_relay_checker(ctx, relay):
    """Reverse: Python renews its lock (lockDuration 1 s, job 2.5 s) while a relay worker runs stalled checks."""
    q = ctx.queue()
    done = []

    async def proc(job, token):
        import asyncio
        await asyncio.sleep(2.5)
        done.append(job.id)
        return "slow"

    ctx.worker(proc, {"lockDuration": 1000, "stalledInterval": 60_000})
    jid = (await q.add("long", {})).id
    await eventually(lambda: q.getJobState(jid), lambda s: s == "active", what="python took the job")
    w = await relay.work(ctx.q, "echo", lock_duration=1000, stalled_interval=300)
    await eventually(lambda: q.getJobState(jid), lambda s: s == "completed", timeout=10, what="job completed")
    assert done == [jid]
    assert await w.terminate() == 0, w.describe()
    assert w.finished == [], "the relay worker must not have processed the job"
    names = event_names(await ctx.events(), jid)
    assert "stalled" not in names and names.count("active") == 1
    assert (await ctx.job(jid)).get("stc", "0") == "0"


async def test_sigterm_finishes_active_job_then_exits(ctx, relay):
    q = ctx.queue()
    jid = (await q.add("long", {"ms": 1500})).id
    w = await relay.work(ctx.q, "sleep")
    await eventually(lambda: q.getJobState(jid), lambda s: s == "active", what="relay took the job")
    w.signal(signal.SIGTERM)
    assert await w.wait_exit(timeout=10) == 0, w.describe()
    assert await q.getJobState(jid) == "completed"
    assert [line["jobId"] for line in w.finished] == [jid]
    assert not await ctx.r.exists(ctx.key(f"{jid}:lock"))


async def test_sigterm_on_idle_worker_exits_promptly_and_takes_nothing_after(ctx, relay):
    w = await relay.work(ctx.q, "echo")
    await eventually(lambda: ctx.r.client_list(), lambda cl: any(c.get("cmd") == "bzpopmin" for c in cl),
                     timeout=10, what="the relay worker to block on the marker")
    assert await w.terminate(timeout=6) == 0, w.describe()
    jid = (await ctx.queue().add("after", {})).id
    await never(lambda: ctx.queue().getJobState(jid), lambda s: s != "waiting", duration=0.5)
