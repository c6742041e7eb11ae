"""Processing order: the wait list first (LIFO jobs at its head), then prioritized jobs, lowest number first."""

from harness import BOTH_WAYS

PRIORITY_JOBS = [  # (name, opts) in the order they are added
    ("p10", {"priority": 10}),
    ("p1", {"priority": 1}),
    ("p5", {"priority": 5}),
    ("plain1", {}),
    ("plain2", {}),
    ("lifo", {"lifo": True}),
]


@BOTH_WAYS
async def test_priority_order(ctx, peers, producer, consumer):
    ids = {}
    for name, opts in PRIORITY_JOBS:
        ids[name] = await peers.add(producer, name, {"name": name}, opts)

    # Layout: wait holds [plain2, plain1, lifo] (left = tail, right = head); prioritized scores priority*2^32 + pc.
    assert await ctx.r.lrange(ctx.key("wait"), 0, -1) == [ids["plain2"], ids["plain1"], ids["lifo"]]
    assert await ctx.r.zrange(ctx.key("prioritized"), 0, -1, withscores=True) == [
        (ids["p1"], float(1 * 2**32 + 2)), (ids["p5"], float(5 * 2**32 + 3)), (ids["p10"], float(10 * 2**32 + 1))]
    assert await ctx.r.get(ctx.key("pc")) == "3"
    for name, opts in PRIORITY_JOBS:
        h = await ctx.job(ids[name])
        assert h["priority"] == str(opts.get("priority", 0))
    counts = await ctx.queue().getJobCounts()
    assert (counts["waiting"], counts["prioritized"]) == (3, 3)
    assert await ctx.queue().getJobState(ids["p5"]) == "prioritized"

    w = await peers.consume(consumer, "noop", concurrency=1, exit_after=6)
    lines = await w.results(6)
    assert [line["name"] for line in lines] == ["lifo", "plain1", "plain2", "p1", "p5", "p10"]
    assert [line["jobId"] for line in lines] == [ids[n] for n in ["lifo", "plain1", "plain2", "p1", "p5", "p10"]]
    assert (await ctx.queue().getJobCounts())["completed"] == 6


@BOTH_WAYS
async def test_lifo_order(ctx, peers, producer, consumer):
    ids = {}
    for name, opts in [("a", {}), ("b", {}), ("c", {"lifo": True}), ("d", {"lifo": True}), ("e", {})]:
        ids[name] = await peers.add(producer, name, {}, opts)
    assert await ctx.r.lrange(ctx.key("wait"), 0, -1) == [ids[n] for n in ["e", "b", "a", "c", "d"]]
    w = await peers.consume(consumer, "echo", concurrency=1, exit_after=5)
    lines = await w.results(5)
    assert [line["name"] for line in lines] == ["d", "c", "a", "b", "e"]
