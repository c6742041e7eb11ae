"""Python-only checks of the harness and of the peer's setup (no relay needed)."""

import time

import pytest

from harness import connection_opts, event_names, eventually, never, now_ms


def test_connection_opts_parses_urls_and_disables_socket_timeout():
    assert connection_opts("redis://127.0.0.1:6391") == {"host": "127.0.0.1", "port": 6391, "socket_timeout": None}
    assert connection_opts("redis://localhost") == {"host": "localhost", "port": 6379, "socket_timeout": None}
    assert connection_opts("redis://u:p%40ss@h:1/3") == {
        "host": "h", "port": 1, "db": 3, "username": "u", "password": "p@ss", "socket_timeout": None}
    assert connection_opts("redis://:secret@h:2")["password"] == "secret"
    assert connection_opts("rediss://h:3")["ssl"] is True
    assert connection_opts("redis://h:4?db=2")["db"] == 2
    with pytest.raises(ValueError):
        connection_opts("http://h")


async def test_polling_helpers():
    t0 = time.monotonic()
    calls = []

    async def grows():
        calls.append(1)
        return len(calls)

    assert await eventually(grows, lambda n: n >= 3, timeout=2, interval=0.01) == 3
    with pytest.raises(AssertionError, match="timed out"):
        await eventually(lambda: False, timeout=0.1, what="nothing")
    await never(lambda: False, duration=0.05)
    with pytest.raises(AssertionError, match="must not"):
        await never(lambda: True, duration=0.05)
    assert time.monotonic() - t0 < 2


async def test_python_peer_round_trip_is_prompt(ctx):
    """The peer itself, both sides Python: an idle worker (socket_timeout=None) takes a job within milliseconds."""
    q = ctx.queue()
    started = []

    async def proc(job, token):
        started.append(now_ms())
        return {"ok": True}

    ctx.worker(proc, {"drainDelay": 5})
    # Let the worker go idle on BZPOPMIN first: the trap only shows on an idle worker.
    await eventually(lambda: ctx.r.client_list(), lambda cl: any(c.get("cmd") == "bzpopmin" for c in cl),
                     timeout=5, what="the worker to block on the marker")
    job = await q.add("a", {"x": 1})
    added = now_ms()
    await eventually(lambda: q.getJobState(job.id), lambda s: s == "completed", timeout=5, what="job completed")
    assert started[0] - added < 500
    assert event_names(await ctx.events()) == ["added", "waiting", "active", "completed", "drained"]
    assert (await q.getJobCounts())["completed"] == 1
    assert await ctx.raw_counts() == {**{k: 0 for k in await ctx.raw_counts()}, "completed": 1}


async def test_cleanup_deletes_only_the_test_queue(ctx):
    other = ctx.other_queue("other")
    await ctx.queue().add("a", {})
    await ctx.queue(other).add("b", {})
    assert await ctx.keys()
    await ctx.delete_keys([ctx.q])
    assert await ctx.keys() == []
    assert await ctx.r.exists(f"{ctx.prefix}:{other}:1")
