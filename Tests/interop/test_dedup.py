"""Deduplication ids and custom job ids shared between Python and the relay."""

import json

import pytest

from harness import compact, eventually


@pytest.mark.parametrize("first", ["relay", "python"])
async def test_simple_deduplication(ctx, peers, first):
    second = "python" if first == "relay" else "relay"
    dedup = {"deduplication": {"id": "dd"}}
    owner = await peers.add(first, "d", {"n": 1}, dedup)
    assert await peers.add(second, "d", {"n": 2}, dedup) == owner
    assert await peers.add(first, "d", {"n": 3}, dedup) == owner

    assert await ctx.r.get(ctx.key("de:dd")) == owner
    assert await ctx.r.pttl(ctx.key("de:dd")) == -1, "no ttl: the key lives until the owner finishes"
    assert await ctx.r.get(ctx.key("id")) == "3", "every add increments the id counter, deduplicated or not"
    h = await ctx.job(owner)
    assert json.loads(h["data"]) == {"n": 1}
    assert h["deid"] == "dd"
    assert json.loads(h["opts"])["de"] == {"id": "dd"}
    assert await ctx.r.lrange(ctx.key("wait"), 0, -1) == [owner]
    events = await ctx.events()
    assert compact(events, "jobId", "deduplicationId", "deduplicatedJobId") == [
        ("added", owner, None, None), ("waiting", owner, None, None),
        ("deduplicated", owner, "dd", "2"), ("deduplicated", owner, "dd", "3")]
    assert await ctx.queue().getDeduplicationJobId("dd") == owner

    # Once the owner finishes, the key is gone and the same dedup id creates a new job.
    w = await peers.consume(second, "echo", exit_after=1)
    [line] = await w.results(1)
    assert line["jobId"] == owner and line["returnvalue"] == {"n": 1}
    await w.stop()
    await eventually(lambda: ctx.r.exists(ctx.key("de:dd")), lambda n: n == 0, timeout=3, what="de:dd deleted")
    fresh = await peers.add(second, "d", {"n": 4}, dedup)
    assert fresh not in (owner, "2", "3") and fresh == "4"
    assert await ctx.r.get(ctx.key("de:dd")) == fresh


async def test_throttle_ttl_with_extend(ctx, peers):
    dedup = {"deduplication": {"id": "t", "ttl": 1500, "extend": True}}
    owner = await peers.add("relay", "t", {"n": 1}, dedup)
    first_ttl = await ctx.r.pttl(ctx.key("de:t"))
    assert 1000 < first_ttl <= 1500
    await eventually(lambda: ctx.r.pttl(ctx.key("de:t")), lambda t: t < 1100, timeout=3, what="ttl to run down")
    assert await peers.add("python", "t", {"n": 2}, dedup) == owner
    assert await ctx.r.pttl(ctx.key("de:t")) > 1300, "extend re-arms the ttl on a duplicate"
    await eventually(lambda: ctx.r.pttl(ctx.key("de:t")), lambda t: t < 1100, timeout=3, what="ttl to run down")
    assert await peers.add("relay", "t", {"n": 3}, dedup) == owner
    assert await ctx.r.pttl(ctx.key("de:t")) > 1300
    assert [e["event"] for e in await ctx.events()].count("deduplicated") == 2


async def test_throttle_ttl_expires_while_owner_waits(ctx, peers):
    dedup = {"deduplication": {"id": "x", "ttl": 1000}}
    owner = await peers.add("python", "x", {}, dedup)
    assert await peers.add("relay", "x", {}, dedup) == owner
    await eventually(lambda: ctx.r.exists(ctx.key("de:x")), lambda n: n == 0, timeout=3, what="ttl expiry")
    other = await peers.add("relay", "x", {}, dedup)
    assert other != owner
    assert await ctx.r.llen(ctx.key("wait")) == 2


@pytest.mark.parametrize("first", ["relay", "python"])
async def test_duplicate_custom_job_id(ctx, peers, first):
    second = "python" if first == "relay" else "relay"
    assert await peers.add(first, "o", {"v": 1}, {"jobId": "order-1"}) == "order-1"
    assert await peers.add(second, "o", {"v": 2}, {"jobId": "order-1"}) == "order-1"
    assert await peers.add(first, "o2", {"v": 3}, {"jobId": "order-1", "priority": 5}) == "order-1"
    h = await ctx.job("order-1")
    assert (h["name"], json.loads(h["data"]), h["priority"]) == ("o", {"v": 1}, "0"), "a duplicate never overwrites"
    assert json.loads(h["opts"])["jobId"] == "order-1"
    assert await ctx.r.get(ctx.key("id")) == "3"
    assert await ctx.r.lrange(ctx.key("wait"), 0, -1) == ["order-1"]
    assert await ctx.r.zcard(ctx.key("prioritized")) == 0
    assert compact(await ctx.events(), "jobId") == [
        ("added", "order-1"), ("waiting", "order-1"), ("duplicated", "order-1"), ("duplicated", "order-1")]

    w = await peers.consume(second, "echo", exit_after=1)
    [line] = await w.results(1)
    assert (line["jobId"], line["name"], line["returnvalue"]) == ("order-1", "o", {"v": 1})
    # Still a duplicate once completed: the hash exists.
    assert await peers.add(first, "o", {"v": 9}, {"jobId": "order-1"}) == "order-1"
    assert json.loads((await ctx.job("order-1"))["data"]) == {"v": 1}
    assert (await ctx.queue().getJobCounts())["waiting"] == 0
