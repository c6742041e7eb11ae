"""Relay's groups (per-user concurrency, round-robin turns) as a Python bullmq client sees them.

A grouped job waiting for its turn is in Relay's own keys (`g:<user>:wait`), not in `wait`: BullMQ clients do not
count it and report its state as "unknown"; Relay counts it as waiting. Once a Relay worker takes it, it is a plain
active job for everyone, and it completes or fails as any job does. Python workers never take grouped jobs.
"""

import asyncio
import json
import os
import subprocess
import tempfile

import pytest

from harness import eventually, never

WORKERS_YML = """
pools:
  fair:
    queue: {queue}
    concurrency: 4
    userConcurrency: {limit}
    kinds: [chat]
providers:
  simulated:
    kind: simulated
    models:
      simulated: {{ contextWindow: 1000, capabilities: [chat], price: {{ input: 0, output: 0 }} }}
routing:
  simulated: [simulated]
"""


@pytest.fixture
def real_relay(relay):
    if relay.is_reference:
        pytest.skip("groups are Relay's own extension; the Python stand-in has none")
    return relay


@pytest.fixture
def workers_yml(ctx):
    with tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False) as f:
        f.write(WORKERS_YML.format(queue=ctx.q, limit=2))
    yield f.name
    os.unlink(f.name)


async def relay_cli(relay, *args, env=None, check=True, redis=True):
    """Runs `relay ARGS --redis URL`; returns (rc, stdout, stderr)."""
    proc = await asyncio.create_subprocess_exec(
        *relay.base_argv(), *args, *(["--redis", relay.redis_url] if redis else []),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env={**os.environ, **(env or {})},
    )
    out, err = await asyncio.wait_for(proc.communicate(), 30)
    if check:
        assert proc.returncode == 0, f"relay {' '.join(args)}: rc {proc.returncode}\n{err.decode()}"
    return proc.returncode, out.decode(), err.decode()


async def test_python_view_of_grouped_jobs(ctx, real_relay):
    relay, q = real_relay, ctx.queue()
    grouped = [await relay.add(ctx.q, "g", {"i": i}, {"group": "u1"}) for i in range(3)]
    plain = (await q.add("plain", {"x": 1})).id

    # Python: only the plain job is waiting; grouped jobs exist (getJob) but are in no BullMQ state yet.
    counts = await q.getJobCounts()
    assert counts["waiting"] == 1 and counts["active"] == 0
    assert await q.getJobState(grouped[0]) == "unknown"
    job = await q.getJob(grouped[0])
    assert job.data == {"i": 0} and job.opts.get("gid") == "u1"
    assert (await q.getJobState(plain)) == "waiting"
    # Relay counts them as waiting.
    relay_counts = await relay.counts(ctx.q)
    assert relay_counts["waiting"] == 4

    # A Python worker on the same queue takes the plain job only.
    seen = []

    async def proc(job, token):
        seen.append(job.id)
        return None

    ctx.worker(proc)
    await eventually(lambda: seen == [plain], timeout=5, what="the Python worker ran the plain job")
    await never(lambda: len(seen) > 1, duration=1.0, what="the Python worker took a grouped job")
    assert await q.getJobState(grouped[0]) == "unknown"

    # A Relay worker with a limit of 1 per user: one grouped job active at a time, Python sees it active.
    w = await relay.work(ctx.q, "sleep", concurrency=3, extra=["--group-concurrency", "1"])
    # Long enough that adding the second job (a CLI process, slow on a loaded machine) happens while it runs.
    await relay.run("add", ctx.q, "slow", "--data", json.dumps({"ms": 3000}), "--opts", json.dumps({"group": "u2"}))
    await relay.run("add", ctx.q, "slow2", "--data", json.dumps({"ms": 1}), "--opts", json.dumps({"group": "u2"}))
    await w.results(3, timeout=10)

    async def u2_active():
        counts = await q.getJobCounts()
        return counts["active"]

    await eventually(u2_active, until=lambda n: n == 1, timeout=5, what="u2's slow job active")
    active = await q.getJobs(["active"])
    assert [j.name for j in active] == ["slow"]
    assert await q.getJobState(active[0].id) == "active"
    await w.results(5, timeout=10)

    counts = await q.getJobCounts()
    assert counts == {"active": 0, "completed": 6, "delayed": 0, "failed": 0, "prioritized": 0, "waiting": 0,
                      "waiting-children": 0}
    for job_id in grouped:
        assert await q.getJobState(job_id) == "completed"
    assert [k for k in await ctx.keys() if ":g:" in k or k.endswith((":grl", ":gw"))] == []


async def test_relay_users_cli(ctx, real_relay, workers_yml):
    relay = real_relay
    for _ in range(3):
        await relay.add(ctx.q, "chat", {"userId": "alice"}, {"group": "alice"})
    await relay.add(ctx.q, "chat", {"userId": "bob"}, {"group": "bob"})
    _, out, _ = await relay_cli(relay, "users", "list", "--config", workers_yml)
    lines = sorted(out.splitlines())
    assert lines[0].split("\t")[:4] == ["alice", "fair", "active 0", "queued 3"]
    assert lines[1].split("\t")[:4] == ["bob", "fair", "active 0", "queued 1"]

    _, out, _ = await relay_cli(relay, "users", "set-concurrency", "alice", "3", "--pool", "fair", "--config", workers_yml)
    assert "limit 3 (override)" in out
    assert await ctx.r.hget(ctx.key("gc"), "alice") == "3"
    _, out, _ = await relay_cli(relay, "users", "show", "alice", "--config", workers_yml)
    assert out.split("\t")[:4] == ["alice", "fair", "active 0", "queued 3"] and "limit 3" in out
    await relay_cli(relay, "users", "set-concurrency", "alice", "default", "--config", workers_yml)
    assert await ctx.r.hget(ctx.key("gc"), "alice") is None
    rc, _, err = await relay_cli(relay, "users", "list", "--pool", "nope", "--config", workers_yml, check=False)
    assert rc != 0 and "unknown pool nope" in err


async def _failed_jobs(ctx, n: int) -> list[str]:
    q = ctx.queue()
    jobs = await q.addBulk([{"name": "doomed", "data": {"userId": f"u{i % 3}", "i": i}, "opts": {"attempts": 1}}
                            for i in range(n)])

    async def proc(job, token):
        raise Exception(f"boom {job.data['i']}")

    w = ctx.worker(proc, {"concurrency": 10})
    await eventually(lambda: q.getJobCounts("failed"), until=lambda c: c["failed"] == n, timeout=20,
                     what=f"{n} failed jobs")
    await w.close()
    return [j.id for j in jobs]


@pytest.mark.deadline(90)
async def test_dlq_drain_racing_itself(ctx, real_relay, workers_yml):
    relay = real_relay
    await _failed_jobs(ctx, 150)
    _, out, _ = await relay_cli(relay, "dlq", "drain", "fair", "--action", "delete", "--dry-run", "--config", workers_yml)
    assert out.strip() == "dlq fair: would have deleted 150 dead letters (dry run)"
    assert (await ctx.queue().getJobCounts("failed"))["failed"] == 150

    runs = await asyncio.gather(*(
        relay_cli(relay, "dlq", "drain", "fair", "--action", "delete", "--config", workers_yml) for _ in range(2)
    ))
    done = [int(out.split("deleted ")[1].split()[0]) for _, out, _ in runs]
    assert sum(done) == 150, done
    assert (await ctx.queue().getJobCounts("failed"))["failed"] == 0
    assert await ctx.r.zcard(ctx.key("dlq")) == 0
    removed = [e for e in await ctx.events() if e["event"] == "removed"]
    assert len(removed) == 150 and len({e["jobId"] for e in removed}) == 150
    # Idempotent: a second run finds nothing and still exits 0.
    _, out, _ = await relay_cli(relay, "dlq", "drain", "fair", "--action", "delete", "--config", workers_yml)
    assert out.strip() == "dlq fair: deleted 0 dead letters"


async def test_dlq_retry_and_list(ctx, real_relay, workers_yml):
    relay = real_relay
    ids = await _failed_jobs(ctx, 3)
    _, out, _ = await relay_cli(relay, "dlq", "list", "fair", "--config", workers_yml)
    assert [line.split("\t")[0] for line in out.splitlines()] == ids
    assert "boom 0" in out.splitlines()[0]
    _, out, _ = await relay_cli(relay, "dlq", "show", "fair", ids[0], "--config", workers_yml)
    shown = json.loads(out)
    assert shown["state"] == "failed" and shown["failedReason"] == "boom 0" and shown["data"]["i"] == 0
    _, out, _ = await relay_cli(relay, "dlq", "retry", "fair", ids[1], "--config", workers_yml)
    assert out.strip() == "dlq fair: retried 1 dead letters"
    q = ctx.queue()
    assert await q.getJobState(ids[1]) == "waiting"
    assert (await q.getJob(ids[1])).attemptsMade == 0
    _, out, _ = await relay_cli(relay, "dlq", "drain", "fair", "--older-than", "1h", "--action", "delete",
                                "--config", workers_yml)
    assert out.strip() == "dlq fair: deleted 0 dead letters older than 1h"


@pytest.mark.deadline(60)
async def test_dlq_archive_to_postgres(ctx, real_relay, workers_yml):
    relay = real_relay
    database = os.environ.get("DATABASE_URL")
    if not database:
        pytest.skip("DATABASE_URL is not set (bin/test sets it)")
    ids = await _failed_jobs(ctx, 2)
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    await relay_cli(relay, "migrate", "--dir", os.path.join(root, "migrations"), redis=False)
    _, out, _ = await relay_cli(relay, "dlq", "drain", "fair", "--action", "archive", "--config", workers_yml)
    assert out.strip() == "dlq fair: archived 2 dead letters"
    assert (await ctx.queue().getJobCounts("failed"))["failed"] == 0
    assert await ctx.r.exists(ctx.key(ids[0])) == 0
    rows = subprocess.run(
        ["psql", database, "-Atc",
         f"SELECT job_id, user_id, failed_reason, attempts_made, data->>'i', stacktrace->>0 LIKE '%boom%', options->>'attempts' "
         f"FROM dead_letters WHERE queue = '{ctx.q}' ORDER BY job_id"],
        capture_output=True, text=True, check=True, timeout=20,
    ).stdout.splitlines()
    assert sorted(rows) == sorted([f"{ids[0]}|u0|boom 0|1|0|t|1", f"{ids[1]}|u1|boom 1|1|1|t|1"])


@pytest.mark.deadline(60)
async def test_user_cap_across_two_relay_processes(ctx, real_relay):
    relay, q = real_relay, ctx.queue()
    ids = [await relay.add(ctx.q, "j", {"ms": 150}, {"group": "u" if i % 4 else "v"}) for i in range(16)]
    workers = [await relay.work(ctx.q, "sleep", concurrency=5, extra=["--group-concurrency", "2"]) for _ in range(2)]
    peak = {"u": 0, "v": 0}

    async def sample():
        while True:
            for user in peak:
                peak[user] = max(peak[user], int(await ctx.r.get(ctx.key(f"g:{user}:active")) or 0))
            await asyncio.sleep(0.005)

    sampler = asyncio.create_task(sample())
    try:
        await eventually(lambda: q.getJobCounts("completed"), until=lambda c: c["completed"] == 16, timeout=30,
                         what="16 jobs completed by two relay processes")
    finally:
        sampler.cancel()
    assert peak == {"u": 2, "v": 2}
    # Spans from the job hashes: never more than 2 of one user running at once, and both processes took jobs.
    spans = {"u": [], "v": []}
    for job_id in ids:
        job = await ctx.job(job_id)
        spans[job["gid"]].append((int(job["processedOn"]), int(job["finishedOn"])))
    for user, intervals in spans.items():
        for start, _ in intervals:
            running = sum(1 for s, e in intervals if s <= start < e)
            assert running <= 2, f"{user}: {running} jobs running at {start}"
    assert sum(len(w.finished) for w in workers) == 16
    assert await ctx.r.exists(ctx.key("g:u:active"), ctx.key("g:v:active")) == 0
