"""Plain jobs both ways: job hash fields, ids, events, QueueEvents, getters."""

import json

import pytest

from harness import assert_subset, blocked_clients, event_names, eventually, job_events, now_ms


async def test_python_job_completed_by_relay(ctx, relay):
    q = ctx.queue()
    job = await q.add("a", {"x": 1})
    completed = []
    ev = ctx.queue_events()
    ev.on("completed", lambda args, event_id: completed.append(args))

    w = await relay.work(ctx.q, "echo", exit_after=1)
    [line] = await w.results(1)
    assert_subset(line, {"jobId": job.id, "name": "a", "status": "completed", "returnvalue": {"x": 1}}, "worker line")
    assert await w.wait_exit() == 0, w.describe()

    await eventually(lambda: completed, what="QueueEvents `completed`")
    assert_subset(completed[0], {"jobId": job.id, "returnvalue": {"x": 1}, "prev": "active"})
    assert (await q.getJobCounts())["completed"] == 1
    assert await q.getJobState(job.id) == "completed"
    got = await q.getJob(job.id)
    assert got.returnvalue == {"x": 1}
    assert got.attemptsMade == 1 and got.attemptsStarted == 1
    assert got.timestamp <= got.processedOn <= got.finishedOn

    h = await ctx.job(job.id)
    assert h["atm"] == "1" and h["ats"] == "1"
    assert json.loads(h["returnvalue"]) == {"x": 1}
    assert int(h["finishedOn"]) == int(await ctx.r.zscore(ctx.key("completed"), job.id))
    assert "stc" not in h or h["stc"] == "0"
    assert not await ctx.r.exists(ctx.key(f"{job.id}:lock"))
    assert await ctx.r.scard(ctx.key("stalled")) == 0

    assert event_names(await ctx.events()) == ["added", "waiting", "active", "completed", "drained"]


async def test_relay_job_processed_by_python(ctx, relay):
    before = now_ms()
    jid = await relay.add(ctx.q, "render", {"prompt": "x", "n": [1, 2], "u": "é"})
    after = now_ms()
    assert jid == "1", "auto ids are the decimal value of the `id` counter"
    assert await ctx.r.get(ctx.key("id")) == "1"

    h = await ctx.job(jid)
    assert h["name"] == "render"
    assert json.loads(h["data"]) == {"prompt": "x", "n": [1, 2], "u": "é"}
    assert isinstance(json.loads(h["opts"]), dict)
    assert before <= int(h["timestamp"]) <= after
    assert h["delay"] == "0" and h["priority"] == "0"
    assert await ctx.r.lrange(ctx.key("wait"), 0, -1) == [jid]
    assert await ctx.r.zrange(ctx.key("marker"), 0, -1) == ["0"], "an add must leave the base marker for idle workers"
    events = await ctx.events()
    assert [(e["event"], e.get("jobId"), e.get("name")) for e in events] == [
        ("added", jid, "render"), ("waiting", jid, None)]

    q = ctx.queue()
    assert await q.getJobState(jid) == "waiting"
    job = await q.getJob(jid)
    assert (job.name, job.data, job.attemptsMade) == ("render", {"prompt": "x", "n": [1, 2], "u": "é"}, 0)

    seen = []

    async def proc(job, token):
        seen.append((job.id, job.name, job.data))
        return {"ok": True}

    ctx.worker(proc)
    await eventually(lambda: q.getJobState(jid), lambda s: s == "completed", what="job completed")
    assert seen == [(jid, "render", {"prompt": "x", "n": [1, 2], "u": "é"})]
    assert json.loads((await ctx.job(jid))["returnvalue"]) == {"ok": True}
    assert event_names(await ctx.events()) == ["added", "waiting", "active", "completed", "drained"]

    # The counter is shared: the next id is 2 whoever adds.
    assert (await q.add("py", {})).id == "2"
    assert await relay.add(ctx.q, "sw", {}) == "3"


async def test_relay_noop_returns_null_and_counts_match(ctx, relay):
    q = ctx.queue()
    ids = [(await q.add(f"j{i}", {"i": i})).id for i in range(3)]
    w = await relay.work(ctx.q, "noop", exit_after=3)
    lines = await w.results(3)
    assert sorted(line["jobId"] for line in lines) == sorted(ids)
    assert all(line["status"] == "completed" and line["returnvalue"] is None for line in lines)
    for jid in ids:
        assert (await ctx.job(jid))["returnvalue"] == "null"
    jobs = await q.getJobs(["completed"])
    assert sorted(j.id for j in jobs) == sorted(ids)
    assert all(j.returnvalue is None for j in jobs)
    assert (await relay.counts(ctx.q))["completed"] == 3


@pytest.mark.parametrize("prefix", ["relay-it"])
async def test_custom_prefix_both_ways(ctx, relay, prefix):
    q = ctx.queue()
    a = (await q.add("from-python", {"v": 1})).id
    b = await relay.add(ctx.q, "from-relay", {"v": 2})
    assert await ctx.r.exists(f"relay-it:{ctx.q}:{a}", f"relay-it:{ctx.q}:{b}") == 2
    assert not [k async for k in ctx.r.scan_iter(match=f"bull:{ctx.q}:*")]
    w = await relay.work(ctx.q, "echo", exit_after=2)
    lines = await w.results(2)
    assert [line["name"] for line in lines] == ["from-python", "from-relay"]
    counts = await relay.counts(ctx.q)
    assert counts["completed"] == 2
    assert (await q.getJobCounts())["completed"] == 2
    assert job_events(await ctx.events(), b)[-1]["event"] == "completed"


async def test_idle_relay_worker_picks_up_new_job_promptly(ctx, relay):
    w = await relay.work(ctx.q, "echo")
    await eventually(lambda: blocked_clients(ctx.r), timeout=10, what="the relay worker to block on the marker")
    for i in range(3):
        job = await ctx.queue().add("now", {"i": i})
        [*_, line] = await w.results(i + 1, timeout=5)
        assert line["jobId"] == job.id
        h = await ctx.job(job.id)
        assert int(h["processedOn"]) - int(h["timestamp"]) < 500, "an idle worker must wake on the marker at once"
