"""Delayed jobs: state, score encoding, the `delayed` event, and no start before the due time."""

import json

from harness import BOTH_WAYS, blocked_clients, compact, eventually, job_events, now_ms

DELAY = 1500


@BOTH_WAYS
async def test_delayed_job(ctx, peers, producer, consumer):
    q = ctx.queue()
    # The consumer is idle on the marker first: the delayed add must wake it with the delay marker.
    w = await peers.consume(consumer, "echo", exit_after=1)
    await eventually(lambda: blocked_clients(ctx.r), timeout=10, what="the worker to block on the marker")
    jid = await peers.add(producer, "later", {"v": 1}, {"delay": DELAY})
    h = await ctx.job(jid)
    due = int(h["timestamp"]) + DELAY
    assert h["delay"] == str(DELAY)
    assert json.loads(h["opts"])["delay"] == DELAY

    assert await q.getJobState(jid) == "delayed"
    assert (await q.getJobCounts())["delayed"] == 1
    relay_counts = await peers.relay.counts(ctx.q)
    assert (relay_counts["delayed"], relay_counts["waiting"]) == (1, 0)
    # Score = due * 4096 + seq; seq is 0 for the first job in that millisecond.
    assert int(await ctx.r.zscore(ctx.key("delayed"), jid)) == due * 4096
    assert compact(await ctx.events(), "jobId", "delay") == [("added", jid, None), ("delayed", jid, str(due))]

    [line] = await w.results(1, timeout=DELAY / 1000 + 5)
    assert line["status"] == "completed" and line["returnvalue"] == {"v": 1}

    h = await ctx.job(jid)
    processed = int(h["processedOn"])
    assert processed >= due, f"started {due - processed} ms before it was due"
    assert processed <= due + peers.slack(consumer) * 1000, f"started {processed - due} ms after it was due"
    assert h["delay"] == "0", "promotion to wait resets the delay field"
    events = job_events(await ctx.events(), jid)
    assert compact(events, "prev") == [
        ("added", None), ("delayed", None), ("waiting", "delayed"), ("active", "waiting"), ("completed", "active")]
    assert events[2]["_ms"] >= due


async def test_delay_marker_written_by_relay_add(ctx, relay):
    """The add leaves marker member "1" scored with the due time, which is what wakes idle workers for it."""
    jid = await relay.add(ctx.q, "later", {}, {"delay": 60_000})
    due = int((await ctx.job(jid))["timestamp"]) + 60_000
    assert await ctx.r.zrange(ctx.key("marker"), 0, -1, withscores=True) == [("1", float(due))]


async def test_delayed_jobs_same_due_keep_fifo(ctx, relay):
    """Two Python adds with the same timestamp and delay get consecutive scores (seq 0, 1); the relay runs them FIFO."""
    q = ctx.queue()
    ts = now_ms()
    a = (await q.add("a", {}, {"delay": 800, "timestamp": ts})).id
    b = (await q.add("b", {}, {"delay": 800, "timestamp": ts})).id
    due = ts + 800
    assert int(await ctx.r.zscore(ctx.key("delayed"), a)) == due * 4096
    assert int(await ctx.r.zscore(ctx.key("delayed"), b)) == due * 4096 + 1
    w = await relay.work(ctx.q, "noop", concurrency=1, exit_after=2)
    lines = await w.results(2, timeout=6)
    assert [line["name"] for line in lines] == ["a", "b"]


async def test_relay_promote(ctx, relay):
    q = ctx.queue()
    ids = [(await q.add(f"d{i}", {}, {"delay": 60_000})).id for i in range(3)]
    await relay.run("promote", ctx.q)
    counts = await q.getJobCounts()
    assert (counts["delayed"], counts["waiting"]) == (0, 3)
    # promoteJobs LPUSHes every promoted id to wait in ZRANGE order and, unlike a promotion inside moveToActive, leaves
    # the `delay` field as it was.
    assert await ctx.r.lrange(ctx.key("wait"), 0, -1) == list(reversed(ids))
    for jid in ids:
        assert (await ctx.job(jid))["delay"] == "60000"
        assert compact(job_events(await ctx.events(), jid), "prev")[-1] == ("waiting", "delayed")

    # A Python worker picks the promoted jobs up.
    async def proc(job, token):
        return "ok"

    ctx.worker(proc)
    await eventually(lambda: q.getJobCounts(), lambda c: c["completed"] == 3, what="3 completed")


async def test_relay_promote_count(ctx, relay):
    q = ctx.queue()
    for i in range(3):
        await q.add(f"d{i}", {}, {"delay": 60_000})
    await relay.run("promote", ctx.q, "--count", "2")
    # count is the batch size of the promotion loop, not a cap: every delayed job is promoted.
    counts = await q.getJobCounts()
    assert (counts["delayed"], counts["waiting"]) == (0, 3)
