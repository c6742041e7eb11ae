"""Progress and logs written by the relay; removeOnComplete / removeOnFail policies both ways."""

import json

from harness import BOTH_WAYS, compact, eventually, job_events, now_ms


async def test_relay_progress_and_logs_seen_by_python(ctx, relay):
    q = ctx.queue()
    data = {"progress": [50, {"pct": 100}], "logs": ["step one", "step two"]}
    jid = (await q.add("p", data)).id
    progress = []
    ev = ctx.queue_events()
    ev.on("progress", lambda args, event_id: progress.append(args))

    w = await relay.work(ctx.q, "progress", exit_after=1)
    [line] = await w.results(1)
    assert line["status"] == "completed" and line["returnvalue"] == data

    await eventually(lambda: len(progress) == 2, what="two QueueEvents `progress`")
    assert [p["data"] for p in progress] == [50, {"pct": 100}]
    assert all(p["jobId"] == jid for p in progress)
    job = await q.getJob(jid)
    assert job.progress == {"pct": 100}
    assert json.loads((await ctx.job(jid))["progress"]) == {"pct": 100}
    assert await q.getJobLogs(jid) == {"logs": ["step one", "step two"], "count": 2}
    assert await ctx.r.lrange(ctx.key(f"{jid}:logs"), 0, -1) == ["step one", "step two"]
    events = job_events(await ctx.events(), jid)
    assert [e["event"] for e in events] == ["added", "waiting", "active", "progress", "progress", "completed"]
    assert [json.loads(e["data"]) for e in events if e["event"] == "progress"] == [50, {"pct": 100}]


@BOTH_WAYS
async def test_remove_on_complete(ctx, peers, producer, consumer):
    q = ctx.queue()
    # Each finishing job applies its own policy: a count, or the object form (age in seconds).
    policies = [2, 2, 2, {"count": 2, "age": 3600}, {"count": 2, "age": 3600}]
    kept = [await peers.add(producer, f"k{i}", {"i": i}, {"removeOnComplete": p}) for i, p in enumerate(policies)]
    gone = await peers.add(producer, "gone", {}, {"removeOnComplete": True})
    w = await peers.consume(consumer, "echo", concurrency=1, exit_after=6)
    lines = await w.results(6)
    assert [line["name"] for line in lines] == ["k0", "k1", "k2", "k3", "k4", "gone"]

    assert (await q.getJobCounts())["completed"] == 2
    assert await ctx.r.zrange(ctx.key("completed"), 0, -1) == kept[3:]
    for jid in kept[:3] + [gone]:
        assert await ctx.job(jid) == {}, f"job {jid} must be removed"
        assert await ctx.r.exists(ctx.key(f"{jid}:logs"), ctx.key(f"{jid}:lock")) == 0
    events = await ctx.events()
    assert sorted(e["jobId"] for e in events if e["event"] == "completed") == sorted(kept + [gone])
    assert [e["returnvalue"] for e in events if e["event"] == "completed" and e["jobId"] == gone] == ["{}"]


@BOTH_WAYS
async def test_remove_on_fail_by_age_and_true(ctx, peers, producer, consumer):
    q = ctx.queue()
    w = await peers.consume(consumer, "fail")
    old = await peers.add(producer, "old", {"message": "x"}, {"removeOnFail": {"age": 1}})
    await w.results(1)
    finished_old = int((await ctx.job(old))["finishedOn"])
    # Age is in seconds and trimming only runs inside the finishing script: the next failure must come > 1 s later.
    await eventually(now_ms, lambda t: t > finished_old + 1100, timeout=3, what="1.1 s to pass")
    new = await peers.add(producer, "new", {"message": "y"}, {"removeOnFail": {"age": 1}})
    await w.results(2)
    assert await ctx.job(old) == {}
    assert (await ctx.job(new))["failedReason"] == "y"
    assert await ctx.r.zrange(ctx.key("failed"), 0, -1) == [new]

    instant = await peers.add(producer, "instant", {"message": "z"}, {"removeOnFail": True})
    await w.results(3)
    assert await ctx.job(instant) == {}
    assert await ctx.r.zrange(ctx.key("failed"), 0, -1) == [new]
    assert (await q.getJobCounts())["failed"] == 1
    # The events are written even though the job is gone; no attempts option means one attempt, hence exhausted.
    events = job_events(await ctx.events(), instant)
    assert compact(events, "failedReason")[-3:] == [("active", None), ("failed", "z"), ("retries-exhausted", None)]
