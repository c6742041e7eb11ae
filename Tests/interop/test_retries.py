"""Failures: retries with backoff, retries exhausted, unrecoverable errors."""

import json

from harness import BOTH_WAYS, assert_subset, compact, event_names, job_events


@BOTH_WAYS
async def test_exponential_backoff_until_exhausted(ctx, peers, producer, consumer):
    q = ctx.queue()
    opts = {"attempts": 3, "backoff": {"type": "exponential", "delay": 200}}
    jid = await peers.add(producer, "flaky", {"message": "boom"}, opts)
    stored = json.loads((await ctx.job(jid))["opts"])
    assert_subset(stored, opts, "stored opts")

    w = await peers.consume(consumer, "fail", exit_after=1)
    [line] = await w.results(1, timeout=12)
    assert_subset(line, {"jobId": jid, "status": "failed", "failedReason": "boom", "attemptsMade": 3}, "worker line")

    counts = await q.getJobCounts()
    assert (counts["failed"], counts["delayed"], counts["waiting"], counts["active"]) == (1, 0, 0, 0)
    job = await q.getJob(jid)
    assert (job.attemptsMade, job.attemptsStarted, job.failedReason) == (3, 3, "boom")
    assert len(job.stacktrace) == 3 and all(isinstance(s, str) for s in job.stacktrace)
    h = await ctx.job(jid)
    assert (h["atm"], h["ats"]) == ("3", "3")
    assert int(h["finishedOn"]) == int(await ctx.r.zscore(ctx.key("failed"), jid))
    assert not await ctx.r.exists(ctx.key(f"{jid}:lock"))

    events = job_events(await ctx.events(), jid)
    assert compact(events, "prev") == [
        ("added", None), ("waiting", None),
        ("active", "waiting"), ("delayed", None), ("waiting", "delayed"),
        ("active", "waiting"), ("delayed", None), ("waiting", "delayed"),
        ("active", "waiting"), ("failed", "active"), ("retries-exhausted", None),
    ]
    assert events[-2]["failedReason"] == "boom"
    assert events[-1]["attemptsMade"] == "3"
    # Backoff: due = failure time + 200 ms, then + 400 ms; the next attempt never starts before it is due.
    delayed = [i for i, e in enumerate(events) if e["event"] == "delayed"]
    for i, expected in zip(delayed, (200, 400)):
        due = int(events[i]["delay"])
        assert expected - 10 <= due - events[i]["_ms"] <= expected + 100, (expected, due - events[i]["_ms"])
        assert events[i + 2]["event"] == "active" and events[i + 2]["_ms"] >= due
    assert event_names(await ctx.events()).count("failed") == 1


@BOTH_WAYS
async def test_fixed_backoff_given_as_number(ctx, peers, producer, consumer):
    jid = await peers.add(producer, "flaky", {"message": "again"}, {"attempts": 2, "backoff": 300})
    w = await peers.consume(consumer, "fail", exit_after=1)
    [line] = await w.results(1, timeout=10)
    assert_subset(line, {"jobId": jid, "status": "failed", "attemptsMade": 2})
    events = job_events(await ctx.events(), jid)
    [d] = [e for e in events if e["event"] == "delayed"]
    assert 290 <= int(d["delay"]) - d["_ms"] <= 400
    assert [e["event"] for e in events][-2:] == ["failed", "retries-exhausted"]


@BOTH_WAYS
async def test_retry_without_backoff_goes_straight_back_to_wait(ctx, peers, producer, consumer):
    jid = await peers.add(producer, "flaky", {"message": "quick"}, {"attempts": 2})
    w = await peers.consume(consumer, "fail", exit_after=1)
    [line] = await w.results(1, timeout=10)
    assert_subset(line, {"jobId": jid, "status": "failed", "attemptsMade": 2})
    assert compact(job_events(await ctx.events(), jid), "prev") == [
        ("added", None), ("waiting", None),
        ("active", "waiting"), ("waiting", "active"),
        ("active", "waiting"), ("failed", "active"), ("retries-exhausted", None),
    ]
    h = await ctx.job(jid)
    assert (h["atm"], h["ats"], h["failedReason"]) == ("2", "2", "quick")
    assert len(json.loads(h["stacktrace"])) == 2


@BOTH_WAYS
async def test_unrecoverable_failure_is_attempted_once(ctx, peers, producer, consumer):
    q = ctx.queue()
    jid = await peers.add(producer, "doomed", {"message": "fatal", "unrecoverable": True},
                          {"attempts": 3, "backoff": {"type": "fixed", "delay": 100}})
    w = await peers.consume(consumer, "fail", exit_after=1)
    [line] = await w.results(1, timeout=10)
    assert_subset(line, {"jobId": jid, "status": "failed", "failedReason": "fatal", "attemptsMade": 1})
    job = await q.getJob(jid)
    assert (job.attemptsMade, job.attemptsStarted, job.failedReason) == (1, 1, "fatal")
    assert len(job.stacktrace) == 1
    assert await q.getJobState(jid) == "failed"
    # atm (1) < attempts (3): no retries-exhausted.
    assert compact(job_events(await ctx.events(), jid), "prev") == [
        ("added", None), ("waiting", None), ("active", "waiting"), ("failed", "active")]


async def test_failure_without_attempts_option_reports_retries_exhausted(ctx, relay):
    """Python stores attempts 0; a single failure then satisfies atm >= attempts, so retries-exhausted follows."""
    jid = (await ctx.queue().add("once", {"message": "nope"})).id
    w = await relay.work(ctx.q, "fail", exit_after=1)
    [line] = await w.results(1)
    assert_subset(line, {"jobId": jid, "status": "failed", "attemptsMade": 1})
    assert compact(job_events(await ctx.events(), jid), "attemptsMade") == [
        ("added", None), ("waiting", None), ("active", None), ("failed", None), ("retries-exhausted", "1")]
