"""Queue administration across implementations: pause/resume, counts, drain, clean, retry, obliterate."""

import json

from harness import compact, event_names, eventually, job_events, never


async def test_python_pause_holds_relay_worker(ctx, relay):
    q = ctx.queue()
    await q.pause()
    assert await ctx.r.hget(ctx.key("meta"), "paused") == "1"
    w = await relay.work(ctx.q, "echo", exit_after=3)
    ids = [await relay.add(ctx.q, "a", {}), await relay.add(ctx.q, "b", {}),
           await relay.add(ctx.q, "c", {}, {"priority": 2})]
    await never(lambda: ctx.r.llen(ctx.key("active")), duration=1.0, what="a job became active while paused")
    assert w.lines == []
    # v6 pause: jobs stay in wait / prioritized (no `paused` list), the marker is gone.
    counts = await relay.counts(ctx.q)
    assert (counts["waiting"], counts["prioritized"], counts["active"], counts["paused"]) == (2, 1, 0, 0)
    assert await q.getJobCounts("waiting", "prioritized", "paused") == {"waiting": 2, "prioritized": 1, "paused": 0}
    assert await ctx.r.exists(ctx.key("paused")) == 0
    assert await ctx.r.zrange(ctx.key("marker"), 0, -1) == []
    assert await q.isPaused()

    await q.resume()
    lines = await w.results(3, timeout=5)
    assert sorted(line["jobId"] for line in lines) == sorted(ids)
    assert await w.wait_exit() == 0
    names = event_names(await ctx.events())
    assert names[0] == "paused" and "resumed" in names
    assert names.index("resumed") < names.index("active")


async def test_relay_pause_holds_python_worker(ctx, relay):
    q = ctx.queue()
    seen = []

    async def proc(job, token):
        seen.append(job.id)
        return None

    ctx.worker(proc)
    await relay.run("pause", ctx.q)
    assert await ctx.r.hget(ctx.key("meta"), "paused") == "1"
    assert await q.isPaused()
    assert event_names(await ctx.events()) == ["paused"]
    ids = [(await q.add(f"j{i}", {})).id for i in range(3)]
    await never(lambda: seen, duration=1.0, what="the Python worker ran a job while paused")
    assert (await q.getJobCounts())["waiting"] == 3

    await relay.run("resume", ctx.q)
    assert await ctx.r.hget(ctx.key("meta"), "paused") is None
    assert not await q.isPaused()
    await eventually(lambda: len(seen) == 3, timeout=5, what="3 jobs processed after resume")
    assert sorted(seen) == sorted(ids)
    names = event_names(await ctx.events())
    assert names[:1] == ["paused"] and "resumed" in names
    # Resuming with jobs waiting re-adds the base marker, which is what woke the idle worker.


async def _mixed_state(ctx, relay):
    """completed 2, failed 1, active 1, waiting 2 (+1 flow child), prioritized 2, delayed 1, waiting-children 1."""
    from bullmq import FlowProducer

    q = ctx.queue()
    for i in range(2):
        await q.add(f"ok{i}", {"i": i})
    # Each worker must be gone before the next add, or it could take that job too.
    w = await relay.work(ctx.q, "echo", exit_after=2)
    await w.results(2)
    await w.stop()
    await q.add("bad", {"message": "no"})
    w = await relay.work(ctx.q, "fail", exit_after=1)
    await w.results(1)
    await w.stop()
    await q.add("held", {})
    manual = ctx.manual_worker(lock_duration=60_000)
    assert (await manual.getNextJob("holder")).name == "held"
    await relay.add(ctx.q, "w1", {})
    await q.add("w2", {})
    await relay.add(ctx.q, "p1", {}, {"priority": 1})
    await q.add("p2", {}, {"priority": 7})
    await relay.add(ctx.q, "d1", {}, {"delay": 60_000})
    fp = FlowProducer({"connection": dict(ctx.conn), "prefix": ctx.prefix})
    try:
        await fp.add({"name": "parent", "queueName": ctx.q, "data": {},
                      "children": [{"name": "child", "queueName": ctx.q, "data": {}}]})
    finally:
        await fp.close()


async def test_counts_parity(ctx, relay):
    await _mixed_state(ctx, relay)
    expected = {"active": 1, "completed": 2, "delayed": 1, "failed": 1, "prioritized": 2, "waiting": 3,
                "waiting-children": 1, "paused": 0}
    raw = await ctx.raw_counts()
    py = await ctx.queue().getJobCounts()
    py.update(await ctx.queue().getJobCounts("paused"))
    sw = await relay.counts(ctx.q)
    assert raw == expected
    assert py == expected
    assert set(sw) >= set(expected), f"relay counts lacks {set(expected) - set(sw)}"
    assert {k: sw[k] for k in expected} == expected

    # Paused (v6): same numbers, nothing moves to a `paused` list.
    await relay.run("pause", ctx.q)
    sw_paused = await relay.counts(ctx.q)
    assert {k: sw_paused[k] for k in expected} == expected
    py_paused = await ctx.queue().getJobCounts()
    py_paused.update(await ctx.queue().getJobCounts("paused"))
    assert py_paused == expected

    # Getters decode what the relay wrote.
    completed = await ctx.queue().getJobs(["completed"], asc=True)
    assert [(j.name, j.returnvalue) for j in completed] == [("ok0", {"i": 0}), ("ok1", {"i": 1})]
    [failed] = await ctx.queue().getJobs(["failed"])
    assert (failed.name, failed.failedReason, failed.attemptsMade) == ("bad", "no", 1)


async def test_relay_drain(ctx, relay):
    q = ctx.queue()
    waiting = [(await q.add(f"w{i}", {})).id for i in range(2)]
    prio = (await q.add("p", {}, {"priority": 3})).id
    delayed = (await q.add("d", {}, {"delay": 60_000})).id
    await relay.run("drain", ctx.q)
    counts = await q.getJobCounts()
    assert (counts["waiting"], counts["prioritized"], counts["delayed"]) == (0, 0, 1)
    for jid in waiting + [prio]:
        assert await ctx.job(jid) == {}
    assert await ctx.job(delayed) != {}
    await relay.run("drain", ctx.q, "--delayed")
    assert (await q.getJobCounts())["delayed"] == 0
    assert await ctx.job(delayed) == {}
    assert "removed" not in event_names(await ctx.events())


async def test_relay_clean(ctx, relay):
    q = ctx.queue()

    async def proc(job, token):
        return job.name

    ids = [(await q.add(f"c{i}", {})).id for i in range(3)]
    ctx.worker(proc)
    await eventually(lambda: q.getJobCounts(), lambda c: c["completed"] == 3, what="3 completed")
    await relay.run("clean", ctx.q, "--grace", "0", "--limit", "2", "--state", "completed")
    assert (await q.getJobCounts())["completed"] == 1
    remaining = await ctx.r.zrange(ctx.key("completed"), 0, -1)
    assert len(remaining) == 1
    assert [jid for jid in ids if jid not in remaining] == [jid for jid in ids if not await ctx.r.exists(ctx.key(jid))]
    cleaned = [e for e in await ctx.events() if e["event"] == "cleaned"]
    assert [e["count"] for e in cleaned] == ["2"]
    # A large grace keeps recent jobs.
    await relay.run("clean", ctx.q, "--grace", "60000", "--limit", "10", "--state", "completed")
    assert (await q.getJobCounts())["completed"] == 1


async def test_relay_retry_failed_jobs(ctx, relay):
    q = ctx.queue()
    healthy = []

    async def proc(job, token):
        if not healthy:
            raise Exception("down")
        return "up"

    ids = [(await q.add(f"r{i}", {})).id for i in range(2)]
    ctx.worker(proc)
    await eventually(lambda: q.getJobCounts(), lambda c: c["failed"] == 2, what="2 failed")
    healthy.append(True)
    await relay.run("retry", ctx.q, "--state", "failed")
    await eventually(lambda: q.getJobCounts(), lambda c: c["completed"] == 2, timeout=5, what="2 completed")
    for jid in ids:
        events = job_events(await ctx.events(), jid)
        assert compact(events, "prev")[-5:] == [("failed", "active"), ("retries-exhausted", None),
                                                ("waiting", "failed"), ("active", "waiting"), ("completed", "active")]
        h = await ctx.job(jid)
        assert (h["atm"], h["ats"]) == ("2", "2")


async def test_relay_retry_completed_jobs(ctx, relay):
    q = ctx.queue()

    async def proc(job, token):
        return "done"

    ids = [(await q.add(f"c{i}", {"i": i})).id for i in range(2)]
    w = ctx.worker(proc)
    await eventually(lambda: q.getJobCounts(), lambda c: c["completed"] == 2, what="2 completed")
    await w.close()
    await relay.run("retry", ctx.q, "--state", "completed", "--count", "1")
    counts = await q.getJobCounts()
    assert (counts["completed"], counts["waiting"]) == (0, 2), "count is a batch size: every job moves"
    for jid in ids:
        h = await ctx.job(jid)
        assert not {"finishedOn", "processedOn", "returnvalue"} & h.keys(), h
        assert h["atm"] == "1"
        assert compact(job_events(await ctx.events(), jid), "prev")[-1] == ("waiting", "completed")
        assert await q.getJobState(jid) == "waiting"


async def test_relay_obliterate(ctx, relay):
    q = ctx.queue()
    for i in range(3):
        await q.add(f"o{i}", {"i": i})
    await q.add("later", {}, {"delay": 60_000})
    manual = ctx.manual_worker(lock_duration=60_000)
    held = (await manual.getNextJob("holder")).id

    result = await relay.run("obliterate", ctx.q, check=False)
    assert result.rc != 0, "obliterate must refuse while a job is active (use --force)"
    assert await ctx.job(held) != {}

    await relay.run("obliterate", ctx.q, "--force")
    assert await ctx.keys() == []
    assert json.dumps(await ctx.queue().getJobCounts()) == json.dumps(
        {k: 0 for k in await ctx.queue().getJobCounts()})
