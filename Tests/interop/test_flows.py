"""Flows (parent/child) produced by Python's FlowProducer and processed by the relay."""

import json

import pytest
from bullmq import FlowProducer

from harness import compact, job_events


@pytest.mark.deadline(25)
async def test_python_flow_processed_by_relay(ctx, relay):
    fp = FlowProducer({"connection": dict(ctx.conn), "prefix": ctx.prefix})
    try:
        tree = await fp.add({
            "name": "parent", "queueName": ctx.q, "data": {"role": "parent"},
            "children": [
                {"name": "child-a", "queueName": ctx.q, "data": {"role": "a"}},
                {"name": "child-b", "queueName": ctx.q, "data": {"role": "b"}},
            ],
        })
    finally:
        await fp.close()
    parent_id = tree["job"].id
    child_ids = [c["job"].id for c in tree["children"]]
    q = ctx.queue()
    assert await q.getJobState(parent_id) == "waiting-children"

    w = await relay.work(ctx.q, "echo", concurrency=1, exit_after=3)
    lines = await w.results(3, timeout=10)
    assert [line["name"] for line in lines][-1] == "parent", "the parent runs after both children"
    assert await q.getJobState(parent_id) == "completed"
    processed = await ctx.r.hgetall(ctx.key(f"{parent_id}:processed"))
    assert {k: json.loads(v) for k, v in processed.items()} == {
        f"{ctx.base}{child_ids[0]}": {"role": "a"}, f"{ctx.base}{child_ids[1]}": {"role": "b"}}
    assert await ctx.r.scard(ctx.key(f"{parent_id}:dependencies")) == 0
    parent = await q.getJob(parent_id)
    assert await parent.getChildrenValues() == {
        f"{ctx.base}{child_ids[0]}": {"role": "a"}, f"{ctx.base}{child_ids[1]}": {"role": "b"}}
    events = compact(job_events(await ctx.events(), parent_id), "prev")
    assert events[0] == ("added", None) and ("waiting", "waiting-children") in events
    assert events[-1] == ("completed", "active")
