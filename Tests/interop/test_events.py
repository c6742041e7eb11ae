"""Differential check of the events stream: one scenario run twice, all-Python on one queue and all-relay on another;
the two streams must match entry for entry (names, field names and values; JSON fields compared decoded)."""

import json

from harness import read_events

JSON_FIELDS = {"returnvalue", "data"}


def normalise(events: list[dict]) -> list[dict]:
    out = []
    for e in events:
        item = {k: v for k, v in e.items() if not k.startswith("_")}
        for k in JSON_FIELDS & item.keys():
            item[k] = json.loads(item[k])
        out.append(item)
    return out


async def run_scenario(ctx, peers, side: str, queue: str) -> list[dict]:
    add = lambda *a, **kw: peers.add(side, *a, queue=queue, **kw)  # noqa: E731
    # Producer transitions: plain, prioritized, LIFO, custom id + duplicate, dedup owner + duplicate.
    await add("a", {"k": 1})
    await add("b", {"k": 2}, {"priority": 3})
    await add("c", {"k": 3}, {"lifo": True})
    await add("dup", {"k": 4}, {"jobId": "x-1"})
    await add("dup", {"k": 5}, {"jobId": "x-1"})
    await add("dd", {"k": 6}, {"deduplication": {"id": "one"}})
    await add("dd", {"k": 7}, {"deduplication": {"id": "one"}})
    w = await peers.consume(side, "echo", concurrency=1, exit_after=5, queue=queue)
    await w.results(5)
    await w.stop()
    # Worker transitions: immediate retry then final failure; progress; removeOnComplete.
    await add("f", {"message": "m"}, {"attempts": 2})
    w = await peers.consume(side, "fail", concurrency=1, exit_after=1, queue=queue)
    await w.results(1)
    await w.stop()
    await add("p", {"progress": [1, {"a": 2}], "logs": ["l"]}, {"removeOnComplete": True})
    w = await peers.consume(side, "progress", concurrency=1, exit_after=1, queue=queue)
    await w.results(1)
    await w.stop()
    return normalise(await read_events(ctx.r, f"{ctx.prefix}:{queue}:events"))


async def test_event_stream_matches_python(ctx, peers):
    py_queue = ctx.other_queue("py")
    expected = await run_scenario(ctx, peers, "python", py_queue)
    actual = await run_scenario(ctx, peers, "relay", ctx.q)
    # Sanity: the Python run itself has the shape this test relies on.
    assert [e["event"] for e in expected] == [
        "added", "waiting", "added", "waiting", "added", "waiting", "added", "waiting", "duplicated",
        "added", "waiting", "deduplicated",
        "active", "completed", "active", "completed", "active", "completed", "active", "completed",
        "active", "completed", "drained",
        "added", "waiting", "active", "waiting", "active", "failed", "retries-exhausted", "drained",
        "added", "waiting", "active", "progress", "progress", "completed", "drained",
    ]
    for i, (a, e) in enumerate(zip(actual, expected)):
        assert a == e, f"event #{i} differs:\nrelay:  {a}\npython: {e}\nrelay stream: {actual}"
    assert len(actual) == len(expected), f"relay wrote {len(actual)} events, python {len(expected)}:\n{actual}"
