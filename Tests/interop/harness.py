"""Helpers for the interop suite: Redis connection options, the relay CLI runner, polling and event-stream readers.

Everything that waits has a deadline: subprocesses are killed on timeout, polls fail with a message that says what was
awaited and what was last seen.
"""

from __future__ import annotations

import asyncio
import ctypes
import inspect
import json
import os
import signal
import sys
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import pytest

ROOT = Path(__file__).resolve().parents[2]


def now_ms() -> int:
    return int(time.time() * 1000)


# --------------------------------------------------------------------------------------------------------------------
# Redis connection options


def connection_opts(url: str) -> dict:
    """Turns a redis:// (or rediss://, unix://) URL into keyword arguments for redis-py and bullmq.

    socket_timeout is always None: redis-py >= 8 defaults it to 5 s, the same as a Worker's drainDelay, which makes idle
    Python workers time out, reconnect and pick up jobs seconds late.
    """
    parsed = urllib.parse.urlparse(url)
    opts: dict[str, Any] = {"socket_timeout": None}
    if parsed.scheme == "unix":
        opts["unix_socket_path"] = parsed.path
    elif parsed.scheme in ("redis", "rediss"):
        opts["host"] = parsed.hostname or "127.0.0.1"
        opts["port"] = parsed.port or 6379
        if parsed.scheme == "rediss":
            opts["ssl"] = True
        path = parsed.path.lstrip("/")
        if path:
            opts["db"] = int(path)
    else:
        raise ValueError(f"unsupported Redis URL scheme in {url!r}")
    query = urllib.parse.parse_qs(parsed.query)
    if "db" in query:
        opts["db"] = int(query["db"][0])
    if parsed.username:
        opts["username"] = urllib.parse.unquote(parsed.username)
    if parsed.password:
        opts["password"] = urllib.parse.unquote(parsed.password)
    return opts


# --------------------------------------------------------------------------------------------------------------------
# Polling


async def _value(fn: Callable[[], Any]) -> Any:
    value = fn()
    if inspect.isawaitable(value):
        value = await value
    return value


async def eventually(fn: Callable[[], Any], until: Callable[[Any], bool] | None = None, *, timeout: float = 10.0,
                     interval: float = 0.03, what: str = "") -> Any:
    """Calls fn (sync or async) until until(value) holds (default: value is truthy); returns the value, or fails after
    timeout seconds with the last value seen."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while True:
        last = await _value(fn)
        if until(last) if until else last:
            return last
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what or fn}; last value: {last!r}")
        await asyncio.sleep(interval)


async def never(fn: Callable[[], Any], until: Callable[[Any], bool] | None = None, *, duration: float,
                interval: float = 0.03, what: str = "") -> None:
    """Checks for duration seconds that until(fn()) (default: fn() is truthy) never holds: the negative counterpart of
    eventually(), for "must not happen" windows."""
    deadline = time.monotonic() + duration
    while time.monotonic() < deadline:
        value = await _value(fn)
        if until(value) if until else value:
            raise AssertionError(f"{what or fn} happened but must not: {value!r}")
        await asyncio.sleep(interval)


async def blocked_clients(r) -> int:
    """How many clients are blocked in BZPOPMIN (idle workers waiting on a queue's marker)."""
    return sum(1 for c in await r.client_list() if c.get("cmd") == "bzpopmin")


# --------------------------------------------------------------------------------------------------------------------
# Event stream


def stream_ms(entry_id: str) -> int:
    return int(entry_id.split("-")[0])


async def read_events(r, key: str) -> list[dict]:
    """XRANGE the whole events stream: one dict per entry with the fields plus `_id` and `_ms` (server time)."""
    out = []
    for entry_id, fields in await r.xrange(key, "-", "+"):
        item = dict(fields)
        item["_id"] = entry_id
        item["_ms"] = stream_ms(entry_id)
        out.append(item)
    return out


def event_names(events: list[dict], job_id: str | None = None, *, skip: tuple[str, ...] = ()) -> list[str]:
    """Event names in order; with job_id, that job's events plus the queue-level ones (drained, paused, ...)."""
    return [
        e["event"]
        for e in events
        if (job_id is None or e.get("jobId") == job_id or "jobId" not in e) and e["event"] not in skip
    ]


def job_events(events: list[dict], job_id: str) -> list[dict]:
    return [e for e in events if e.get("jobId") == job_id]


def compact(events: list[dict], *fields: str) -> list[tuple]:
    """(event, field values...) tuples for concise comparisons; missing fields show as None."""
    return [(e["event"], *[e.get(f) for f in fields]) for e in events]


# --------------------------------------------------------------------------------------------------------------------
# The relay CLI


def _die_with_parent() -> None:
    """preexec_fn: the child gets SIGKILL when the test process dies, so no worker outlives a crashed suite."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        pass


@dataclass
class RunResult:
    argv: list[str]
    rc: int
    stdout: str
    stderr: str

    @property
    def lines(self) -> list[str]:
        return [line for line in self.stdout.splitlines() if line.strip()]

    def json_lines(self) -> list[Any]:
        return [json.loads(line) for line in self.lines]

    def describe(self) -> str:
        return f"`{' '.join(self.argv)}` exited {self.rc}\nstdout:\n{self.stdout}\nstderr:\n{self.stderr}"


class RelayError(AssertionError):
    pass


class RelayWorker:
    """A running `relay queue work` process; its JSON stdout lines are collected as they arrive."""

    def __init__(self, proc: asyncio.subprocess.Process, argv: list[str]):
        self.proc = proc
        self.argv = argv
        self.lines: list[dict] = []
        self.raw_stdout: list[str] = []
        self.stderr: list[str] = []
        self._changed = asyncio.Event()
        self._readers = [
            asyncio.ensure_future(self._read_stdout()),
            asyncio.ensure_future(self._read_stderr()),
        ]

    async def _read_stdout(self) -> None:
        assert self.proc.stdout is not None
        while True:
            line = await self.proc.stdout.readline()
            if not line:
                break
            text = line.decode(errors="replace").rstrip("\n")
            self.raw_stdout.append(text)
            try:
                obj = json.loads(text)
            except ValueError:
                continue
            if isinstance(obj, dict):
                self.lines.append(obj)
                self._changed.set()
        self._changed.set()

    async def _read_stderr(self) -> None:
        assert self.proc.stderr is not None
        while True:
            line = await self.proc.stderr.readline()
            if not line:
                break
            self.stderr.append(line.decode(errors="replace").rstrip("\n"))

    @property
    def finished(self) -> list[dict]:
        """Lines of jobs that finished for good (completed or finally failed), in output order."""
        return [line for line in self.lines if line.get("status") in ("completed", "failed")]

    def describe(self) -> str:
        tail = "\n".join(self.stderr[-30:])
        out = "\n".join(self.raw_stdout[-30:])
        return f"`{' '.join(self.argv)}` (pid {self.proc.pid}, rc {self.proc.returncode})\nstdout:\n{out}\nstderr:\n{tail}"

    async def results(self, n: int, timeout: float = 15.0) -> list[dict]:
        """Waits until n jobs finished for good; returns those n lines."""
        deadline = time.monotonic() + timeout
        while len(self.finished) < n:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise RelayError(f"expected {n} finished jobs, got {len(self.finished)}: {self.finished}\n{self.describe()}")
            if self.proc.returncode is not None and all(r.done() for r in self._readers):
                raise RelayError(f"worker exited before {n} jobs finished\n{self.describe()}")
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), min(remaining, 0.2))
            except asyncio.TimeoutError:
                pass
        return self.finished[:n]

    async def wait_exit(self, timeout: float = 10.0) -> int:
        try:
            rc = await asyncio.wait_for(self.proc.wait(), timeout)
        except asyncio.TimeoutError:
            raise RelayError(f"worker did not exit within {timeout}s\n{self.describe()}") from None
        await asyncio.wait_for(asyncio.gather(*self._readers, return_exceptions=True), 5)
        return rc

    def signal(self, sig: int) -> None:
        if self.proc.returncode is None:
            try:
                self.proc.send_signal(sig)
            except ProcessLookupError:
                pass

    async def terminate(self, timeout: float = 10.0) -> int:
        """SIGTERM (graceful shutdown) and wait for the exit."""
        self.signal(signal.SIGTERM)
        return await self.wait_exit(timeout)

    async def stop(self, timeout: float = 10.0) -> None:
        """Waits until the worker is gone: SIGTERM unless it already exited (e.g. after --exit-after), exit code 0."""
        if self.proc.returncode is None:
            self.signal(signal.SIGTERM)
        rc = await self.wait_exit(timeout)
        if rc != 0:
            raise RelayError(f"worker exited with {rc}\n{self.describe()}")

    async def kill(self) -> None:
        """SIGKILL: a crash."""
        self.signal(signal.SIGKILL)
        try:
            await asyncio.wait_for(self.proc.wait(), 5)
        except asyncio.TimeoutError:
            pass

    async def dispose(self) -> None:
        if self.proc.returncode is None:
            self.signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.proc.wait(), 3)
            except asyncio.TimeoutError:
                await self.kill()
        for reader in self._readers:
            reader.cancel()
        await asyncio.gather(*self._readers, return_exceptions=True)


class RelayCLI:
    """Runs `relay queue ...` against one Redis URL and key prefix."""

    def __init__(self, binary: str, redis_url: str, prefix: str = "bull"):
        self.binary = binary
        self.redis_url = redis_url
        self.prefix = prefix
        self.workers: list[RelayWorker] = []
        # The Python stand-in (reference_relay.py) consumes like any Python worker: ~1 s granularity for delayed work.
        self.is_reference = binary.endswith(".py")
        self.pickup_slack = 1.3 if self.is_reference else 0.6

    def base_argv(self) -> list[str]:
        if self.binary.endswith(".py"):
            return [sys.executable, self.binary]
        return [self.binary]

    def argv(self, sub: str, *args: str) -> list[str]:
        return [*self.base_argv(), "queue", sub, *args, "--redis", self.redis_url, "--prefix", self.prefix]

    async def run(self, sub: str, *args: str, timeout: float = 20.0, check: bool = True) -> RunResult:
        argv = self.argv(sub, *map(str, args))
        proc = await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            preexec_fn=_die_with_parent,
        )
        try:
            out, err = await asyncio.wait_for(proc.communicate(), timeout)
        except (asyncio.TimeoutError, asyncio.CancelledError):
            proc.kill()
            await proc.wait()
            raise RelayError(f"`{' '.join(argv)}` did not finish within {timeout}s") from None
        result = RunResult(argv, proc.returncode, out.decode(errors="replace"), err.decode(errors="replace"))
        if check and result.rc != 0:
            raise RelayError(result.describe())
        return result

    async def add(self, queue: str, name: str, data: Any = None, opts: dict | None = None) -> str:
        args = [queue, name]
        if data is not None:
            args += ["--data", json.dumps(data)]
        if opts:
            args += ["--opts", json.dumps(opts)]
        result = await self.run("add", *args)
        lines = result.lines
        if len(lines) != 1:
            raise RelayError(f"`relay queue add` must print exactly one line (the job id)\n{result.describe()}")
        return lines[0].strip()

    async def counts(self, queue: str) -> dict:
        result = await self.run("counts", queue)
        try:
            return json.loads(result.stdout)
        except ValueError:
            raise RelayError(f"`relay queue counts` did not print one JSON object\n{result.describe()}") from None

    async def work(
        self,
        queue: str,
        handler: str,
        *,
        concurrency: int | None = None,
        lock_duration: int | None = None,
        stalled_interval: int | None = None,
        max_stalled_count: int | None = None,
        exit_after: int | None = None,
        extra: list[str] | None = None,
    ) -> RelayWorker:
        args = [queue, "--handler", handler, *(extra or [])]
        for flag, value in (
            ("--concurrency", concurrency),
            ("--lock-duration", lock_duration),
            ("--stalled-interval", stalled_interval),
            ("--max-stalled-count", max_stalled_count),
            ("--exit-after", exit_after),
        ):
            if value is not None:
                args += [flag, str(value)]
        argv = self.argv("work", *args)
        proc = await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            preexec_fn=_die_with_parent,
        )
        worker = RelayWorker(proc, argv)
        self.workers.append(worker)
        return worker

    async def dispose(self) -> None:
        await asyncio.gather(*(w.dispose() for w in self.workers), return_exceptions=True)
        self.workers.clear()


def relay_binary() -> str:
    return os.environ.get("RELAY_BIN") or str(ROOT / ".build" / "debug" / "relay")


# --------------------------------------------------------------------------------------------------------------------
# Small value helpers


def intervals_overlap(spans: list[tuple[int, int]], tolerance_ms: int = 0) -> list[tuple]:
    """Pairs of (start, end) spans that overlap by more than tolerance_ms."""
    spans = sorted(spans)
    bad = []
    for a, b in zip(spans, spans[1:]):
        if b[0] < a[1] - tolerance_ms:
            bad.append((a, b))
    return bad


# --------------------------------------------------------------------------------------------------------------------
# The handlers of `relay queue work`, written for the Python peer (used by PyConsumer and reference_relay.py)


async def handler_echo(job, token):
    return job.data


async def handler_noop(job, token):
    return None


async def handler_fail(job, token):
    from bullmq import UnrecoverableError

    data = job.data or {}
    message = data.get("message", "failed")
    if data.get("unrecoverable"):
        raise UnrecoverableError(message)
    raise Exception(message)


async def handler_sleep(job, token):
    await asyncio.sleep((job.data or {}).get("ms", 0) / 1000)
    return job.data


async def handler_progress(job, token):
    data = job.data or {}
    for p in data.get("progress", []):
        await job.updateProgress(p)
    for line in data.get("logs", []):
        await job.log(line)
    return data


HANDLERS = {"echo": handler_echo, "noop": handler_noop, "fail": handler_fail, "sleep": handler_sleep,
            "progress": handler_progress}


def is_final_failure(job, err) -> bool:
    """After Worker's `failed` event (job.attemptsMade already incremented): True when no retry follows."""
    from bullmq import UnrecoverableError

    attempts = job.opts.get("attempts") or 1
    return isinstance(err, UnrecoverableError) or job.attemptsMade >= attempts


def finished_line(job, result=None, err=None) -> dict:
    if err is None:
        return {"jobId": job.id, "name": job.name, "status": "completed", "returnvalue": result}
    return {"jobId": job.id, "name": job.name, "status": "failed" if is_final_failure(job, err) else "retrying",
            "failedReason": str(err), "attemptsMade": job.attemptsMade}


class PyConsumer:
    """A Python Worker running one of the relay handlers, recording relay-style result lines."""

    def __init__(self, worker):
        self.worker = worker
        self.lines: list[dict] = []
        self._changed = asyncio.Event()
        worker.on("completed", lambda job, result: self._add(finished_line(job, result)))
        worker.on("failed", lambda job, err: self._add(finished_line(job, err=err)))

    async def stop(self) -> None:
        await asyncio.wait_for(self.worker.close(), 10)

    def _add(self, line: dict) -> None:
        self.lines.append(line)
        self._changed.set()

    @property
    def finished(self) -> list[dict]:
        return [line for line in self.lines if line.get("status") in ("completed", "failed")]

    async def results(self, n: int, timeout: float = 15.0) -> list[dict]:
        deadline = time.monotonic() + timeout
        while len(self.finished) < n:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"Python worker: expected {n} finished jobs, got {self.finished}")
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), min(remaining, 0.2))
            except asyncio.TimeoutError:
                pass
        return self.finished[:n]


def assert_subset(actual: dict, expected: dict, what: str = "") -> None:
    diff = {k: (actual.get(k, "<missing>"), v) for k, v in expected.items() if k not in actual or actual[k] != v}
    assert not diff, f"{what} differs (actual, expected): {diff}; whole: {actual}"


# Direction of a scenario: (producer, consumer), each "python" (bullmq) or "relay" (the Swift CLI).
BOTH_WAYS = pytest.mark.parametrize(
    "producer,consumer", [("python", "relay"), ("relay", "python")], ids=["py>relay", "relay>py"]
)
