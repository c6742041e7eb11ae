"""Queue-wide limits set from Python (meta hash) and honoured by the relay: global concurrency and rate limit."""

import asyncio

from harness import eventually, intervals_overlap


async def _sample_active(ctx, stop: asyncio.Event, samples: list[int]) -> None:
    while not stop.is_set():
        samples.append(await ctx.r.llen(ctx.key("active")))
        await asyncio.sleep(0.01)


async def _spans(ctx, ids) -> list[tuple[int, int]]:
    spans = []
    for jid in ids:
        h = await ctx.job(jid)
        spans.append((int(h["processedOn"]), int(h["finishedOn"])))
    return spans


async def test_global_concurrency_serialises_relay_worker(ctx, relay):
    q = ctx.queue()
    await q.setGlobalConcurrency(1)
    assert await ctx.r.hget(ctx.key("meta"), "concurrency") == "1"
    ids = [(await q.add(f"s{i}", {"ms": 300})).id for i in range(4)]
    stop, samples = asyncio.Event(), []
    sampler = asyncio.ensure_future(_sample_active(ctx, stop, samples))
    try:
        w = await relay.work(ctx.q, "sleep", concurrency=4, exit_after=4)
        lines = await w.results(4, timeout=15)
    finally:
        stop.set()
        await sampler
    assert sorted(line["jobId"] for line in lines) == sorted(ids)
    assert max(samples) == 1, f"{max(samples)} jobs were active at once"
    spans = await _spans(ctx, ids)
    assert not intervals_overlap(spans, tolerance_ms=30), spans
    assert max(e for _, e in spans) - min(s for s, _ in spans) >= 4 * 300 - 30


async def test_global_concurrency_across_relay_and_python_workers(ctx, relay):
    """Relay-produced jobs, one relay worker (concurrency 3) and one Python worker (concurrency 2), global limit 1."""
    q = ctx.queue()
    await q.setGlobalConcurrency(1)
    ids = [await relay.add(ctx.q, f"m{i}", {"ms": 200}) for i in range(6)]
    by_python = []

    async def proc(job, token):
        by_python.append(job.id)
        await asyncio.sleep(0.2)
        return job.data

    stop, samples = asyncio.Event(), []
    sampler = asyncio.ensure_future(_sample_active(ctx, stop, samples))
    try:
        ctx.worker(proc, {"concurrency": 2})
        w = await relay.work(ctx.q, "sleep", concurrency=3)
        await eventually(lambda: q.getJobCounts(), lambda c: c["completed"] == 6, timeout=20, what="6 completed")
    finally:
        stop.set()
        await sampler
    assert max(samples) == 1, f"{max(samples)} jobs were active at once"
    assert not intervals_overlap(await _spans(ctx, ids), tolerance_ms=30)
    assert sorted(by_python + [line["jobId"] for line in w.finished]) == sorted(ids), "each job ran exactly once"


async def test_global_rate_limit(ctx, relay):
    q = ctx.queue()
    await q.setGlobalRateLimit(2, 1000)
    assert await ctx.r.hmget(ctx.key("meta"), "max", "duration") == ["2", "1000"]
    ids = [(await q.add(f"r{i}", {})).id for i in range(6)]
    w = await relay.work(ctx.q, "noop", concurrency=4, exit_after=6)
    await w.results(6, timeout=15)
    starts = sorted(start for start, _ in await _spans(ctx, ids))
    # At most 2 jobs start within any one window of 1000 ms.
    gaps = [starts[i + 2] - starts[i] for i in range(len(starts) - 2)]
    assert all(g >= 1000 - 30 for g in gaps), (starts, gaps)
    assert starts[-1] - starts[0] >= 2000 - 30
