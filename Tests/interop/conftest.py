"""Fixtures for the interop suite: Python `bullmq` (the reference peer) against the Swift `relay` CLI on one Redis.

- REDIS_URL: the Redis to use (bin/test exports it). Without it a private redis-server is started on a free port for the
  session and stopped by PID at the end.
- RELAY_BIN: the relay executable (default .build/debug/relay). A path ending in .py is run with this interpreter
  (reference_relay.py, a stand-in written with the Python package, is used to check the suite itself).
"""

from __future__ import annotations

import asyncio
import faulthandler
import functools
import inspect
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pytest
import redis.asyncio as aioredis
from bullmq import Queue, QueueEvents, Worker

from harness import HANDLERS, PyConsumer, RelayCLI, connection_opts, read_events, relay_binary

DEFAULT_TEST_TIMEOUT = 40.0
FIXTURE_CLOSE_TIMEOUT = 10.0


def pytest_configure(config):
    config.addinivalue_line("markers", "deadline(seconds): overall time limit for one test (default 40 s)")


# --------------------------------------------------------------------------------------------------------------------
# Time limits: every async test runs under asyncio.wait_for; a hard faulthandler exit is the last resort.


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    fn = getattr(item, "obj", None)
    if fn is None or not inspect.iscoroutinefunction(fn):
        return (yield)
    marker = item.get_closest_marker("deadline")
    limit = float(marker.args[0]) if marker else DEFAULT_TEST_TIMEOUT

    @functools.wraps(fn)
    async def guarded(*args, **kwargs):
        timeout = asyncio.timeout(limit)
        try:
            async with timeout:
                return await fn(*args, **kwargs)
        except TimeoutError:
            if not timeout.expired():
                raise  # raised by the test itself, not by its time limit
        pytest.fail(f"test exceeded its {limit:.0f}s time limit", pytrace=False)

    item.obj = guarded
    try:
        return (yield)
    finally:
        item.obj = fn


@pytest.fixture(autouse=True)
def _hard_deadline(request):
    marker = request.node.get_closest_marker("deadline")
    limit = float(marker.args[0]) if marker else DEFAULT_TEST_TIMEOUT
    # Setup + test + teardown; only fires if something blocks the event loop itself.
    faulthandler.dump_traceback_later(limit + 60, exit=True)
    yield
    faulthandler.cancel_dump_traceback_later()


# --------------------------------------------------------------------------------------------------------------------
# Redis


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def redis_url():
    url = os.environ.get("REDIS_URL")
    if url:
        yield url
        return
    server = shutil.which("redis-server")
    if not server:
        pytest.fail("REDIS_URL is not set and redis-server is not installed", pytrace=False)
    tmp = Path(tempfile.mkdtemp(prefix="relay-interop-redis-"))
    port = _free_port()
    pidfile = tmp / "redis.pid"
    subprocess.run(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "yes",
         "--dir", str(tmp), "--pidfile", str(pidfile), "--logfile", str(tmp / "redis.log")],
        check=True, timeout=20,
    )
    deadline = time.monotonic() + 10
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.sendall(b"PING\r\n")
                if s.recv(16).startswith(b"+PONG"):
                    break
        except OSError:
            pass
        if time.monotonic() > deadline:
            pytest.fail(f"private redis-server did not start; see {tmp}/redis.log", pytrace=False)
        time.sleep(0.05)
    try:
        yield f"redis://127.0.0.1:{port}"
    finally:
        try:
            pid = int(pidfile.read_text().strip())
            os.kill(pid, 15)
            for _ in range(100):
                os.kill(pid, 0)
                time.sleep(0.05)
        except (OSError, ValueError):
            pass
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture(scope="session")
def conn(redis_url) -> dict:
    """Connection dict for bullmq and redis-py (socket_timeout=None, see harness.connection_opts)."""
    return connection_opts(redis_url)


# --------------------------------------------------------------------------------------------------------------------
# Per-test context


class Ctx:
    """One test's queue: its name, raw Redis access, and the Python peer objects (closed and deleted at teardown)."""

    def __init__(self, r: aioredis.Redis, conn: dict, redis_url: str, prefix: str, name: str):
        self.r = r
        self.conn = conn
        self.redis_url = redis_url
        self.prefix = prefix
        self.q = name
        self.base = f"{prefix}:{name}:"
        self._closables: list = []
        self._queues: dict[str, Queue] = {}
        self.extra_queues: list[str] = []

    def key(self, suffix: str) -> str:
        return self.base + suffix

    def other_queue(self, tag: str) -> str:
        """Another queue name for this test, deleted at teardown too."""
        name = f"{self.q}-{tag}"
        self.extra_queues.append(name)
        return name

    # raw Redis ------------------------------------------------------------------------------------------------------

    async def job(self, job_id: str) -> dict:
        return await self.r.hgetall(self.key(job_id))

    async def events(self) -> list[dict]:
        return await read_events(self.r, self.key("events"))

    async def raw_counts(self) -> dict:
        r, k = self.r, self.key
        return {
            "active": await r.llen(k("active")),
            "completed": await r.zcard(k("completed")),
            "delayed": await r.zcard(k("delayed")),
            "failed": await r.zcard(k("failed")),
            "prioritized": await r.zcard(k("prioritized")),
            "waiting": await r.llen(k("wait")),
            "waiting-children": await r.zcard(k("waiting-children")),
            "paused": await r.llen(k("paused")),
        }

    async def keys(self) -> list[str]:
        return sorted([k async for k in self.r.scan_iter(match=f"{self.base}*", count=500)])

    # Python peer ----------------------------------------------------------------------------------------------------

    def queue(self, name: str | None = None) -> Queue:
        name = name or self.q
        if name not in self._queues:
            q = Queue(name, {"connection": dict(self.conn), "prefix": self.prefix})
            self._queues[name] = q
            self._closables.append(("queue", q))
        return self._queues[name]

    def worker(self, processor, opts: dict | None = None, name: str | None = None) -> Worker:
        """A running Python Worker on this test's queue (defaults: drainDelay 1 s so a maxed/idle worker re-polls)."""
        final = {"connection": dict(self.conn), "prefix": self.prefix, "drainDelay": 1}
        final.update(opts or {})
        w = Worker(name or self.q, processor, final)
        self._closables.append(("worker", w))
        return w

    def manual_worker(self, lock_duration: int = 500, name: str | None = None) -> Worker:
        """A Worker without processor for getNextJob(token): it takes jobs and never renews their locks."""
        w = Worker(name or self.q, None, {"connection": dict(self.conn), "prefix": self.prefix, "autorun": False,
                                          "lockDuration": lock_duration})
        self._closables.append(("worker", w))
        return w

    def queue_events(self, name: str | None = None) -> QueueEvents:
        ev = QueueEvents(name or self.q, {"connection": dict(self.conn), "prefix": self.prefix, "lastEventId": "0-0",
                                          "blockingTimeout": 500})
        self._closables.append(("events", ev))
        return ev

    async def close_peers(self) -> None:
        for kind, obj in reversed(self._closables):
            try:
                if kind == "worker":
                    await asyncio.wait_for(obj.close(force=True), FIXTURE_CLOSE_TIMEOUT)
                else:
                    await asyncio.wait_for(obj.close(), FIXTURE_CLOSE_TIMEOUT)
            except Exception:  # noqa: BLE001 - teardown must go on
                pass
        self._closables.clear()

    async def delete_keys(self, names: list[str]) -> None:
        for name in names:
            batch = []
            async for k in self.r.scan_iter(match=f"{self.prefix}:{name}:*", count=500):
                batch.append(k)
                if len(batch) >= 500:
                    await self.r.delete(*batch)
                    batch.clear()
            if batch:
                await self.r.delete(*batch)


@pytest.fixture
def prefix() -> str:
    return "bull"


@pytest.fixture
def queue_name() -> str:
    return f"it-{uuid.uuid4().hex[:10]}"


@pytest.fixture
async def ctx(conn, redis_url, prefix, queue_name):
    r = aioredis.Redis(**conn, decode_responses=True)
    try:
        await asyncio.wait_for(r.ping(), 5)
    except Exception as err:  # noqa: BLE001
        await r.aclose()
        # bullmq retries a lost connection for minutes: stop the whole run instead of failing test by test.
        pytest.exit(f"Redis at {redis_url} is unreachable ({err!r}); stopping the interop run", returncode=3)
    c = Ctx(r, conn, redis_url, prefix, queue_name)
    try:
        yield c
    finally:
        await c.close_peers()
        names = {queue_name, *c._queues.keys(), *c.extra_queues}
        try:
            await asyncio.wait_for(c.delete_keys(sorted(names)), FIXTURE_CLOSE_TIMEOUT)
        finally:
            await r.aclose()


# --------------------------------------------------------------------------------------------------------------------
# relay CLI


@pytest.fixture(scope="session")
def relay_bin() -> str:
    binary = relay_binary()
    argv = [binary] if not binary.endswith(".py") else [sys.executable, binary]
    if not os.path.exists(binary):
        pytest.fail(f"relay binary not found at {binary} (build it, or set RELAY_BIN)", pytrace=False)
    try:
        probe = subprocess.run([*argv, "queue", "--help"], capture_output=True, timeout=30)
    except subprocess.TimeoutExpired:
        pytest.fail(f"`{binary} queue --help` did not finish within 30 s", pytrace=False)
    if probe.returncode != 0:
        pytest.fail(f"`{binary} queue --help` failed (rc {probe.returncode}): the queue CLI is missing\n"
                    f"{probe.stderr.decode(errors='replace')[-2000:]}", pytrace=False)
    return binary


@pytest.fixture
async def relay(ctx, relay_bin, redis_url, prefix):
    cli = RelayCLI(relay_bin, redis_url, prefix)
    try:
        yield cli
    finally:
        await asyncio.wait_for(cli.dispose(), FIXTURE_CLOSE_TIMEOUT)


class Peers:
    """Either side as producer or consumer: side is "python" (bullmq) or "relay" (the Swift CLI)."""

    def __init__(self, ctx: Ctx, relay: RelayCLI):
        self.ctx = ctx
        self.relay = relay

    async def add(self, side: str, name: str, data=None, opts: dict | None = None, *, queue: str | None = None) -> str:
        if side == "python":
            job = await self.ctx.queue(queue).add(name, data, opts or {})
            return job.id
        return await self.relay.add(queue or self.ctx.q, name, data, opts)

    async def consume(self, side: str, handler: str, *, concurrency: int | None = None,
                      lock_duration: int | None = None, stalled_interval: int | None = None,
                      max_stalled_count: int | None = None, exit_after: int | None = None,
                      queue: str | None = None):
        """A worker running a relay handler (default: on the test queue); both kinds offer .finished and .results(n)."""
        if side == "relay":
            return await self.relay.work(queue or self.ctx.q, handler, concurrency=concurrency,
                                         lock_duration=lock_duration, stalled_interval=stalled_interval,
                                         max_stalled_count=max_stalled_count, exit_after=exit_after)
        opts = {}
        for key, value in (("concurrency", concurrency), ("lockDuration", lock_duration),
                           ("stalledInterval", stalled_interval), ("maxStalledCount", max_stalled_count)):
            if value is not None:
                opts[key] = value
        return PyConsumer(self.ctx.worker(HANDLERS[handler], opts, name=queue))

    def slack(self, consumer_side: str) -> float:
        """Seconds a consumer may take to start a job after it is due (Python: ~1 s granularity, trap 2)."""
        return 1.3 if consumer_side == "python" else self.relay.pickup_slack


@pytest.fixture
def peers(ctx, relay) -> Peers:
    return Peers(ctx, relay)

