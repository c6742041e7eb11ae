"""Fixtures for the end-to-end suite: one `relay dev` for the session, driven by real clients.

- REDIS_URL, DATABASE_URL: required (bin/test exports both: a private Redis and a fresh private Postgres).
- RELAY_BIN: the relay executable (default .build/debug/relay).
"""

from __future__ import annotations

import asyncio
import faulthandler
import functools
import inspect
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from clients import anthropic_client, openai_client
from harness import RelayServer, relay_binary

DEFAULT_TEST_TIMEOUT = 60.0


def pytest_configure(config):
    config.addinivalue_line("markers", "deadline(seconds): overall time limit for one test (default 60 s)")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """Every async test runs under an overall asyncio timeout."""
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
                raise
        pytest.fail(f"test exceeded its {limit:.0f}s time limit", pytrace=False)

    item.obj = guarded
    try:
        return (yield)
    finally:
        item.obj = fn


@pytest.fixture(autouse=True)
def _hard_deadline(request):
    """Last resort when something blocks the event loop or a sync client hangs: dump stacks and exit."""
    marker = request.node.get_closest_marker("deadline")
    limit = float(marker.args[0]) if marker else DEFAULT_TEST_TIMEOUT
    faulthandler.dump_traceback_later(limit + 60, exit=True)
    yield
    faulthandler.cancel_dump_traceback_later()


def private_copy(binary: str, workdir: Path) -> str:
    """The session runs its own copy of the executable, so a rebuild during the run (which replaces the file) cannot
    break the CLI calls of later tests. A .py stand-in is used in place."""
    if binary.endswith(".py"):
        return binary
    copy = workdir / "relay"
    deadline = time.monotonic() + 120  # a link step in progress: the file is missing or partial for a moment
    while True:
        try:
            shutil.copy2(binary, copy)
            if subprocess.run([str(copy), "--help"], capture_output=True, timeout=30).returncode == 0:
                return str(copy)
        except (OSError, subprocess.SubprocessError):
            pass
        if time.monotonic() > deadline:
            pytest.fail(f"could not copy a working relay from {binary}", pytrace=False)
        time.sleep(2)


@pytest.fixture(scope="session")
def relay():
    redis_url = os.environ.get("REDIS_URL")
    database_url = os.environ.get("DATABASE_URL")
    if not redis_url or not database_url:
        pytest.fail("REDIS_URL and DATABASE_URL must be set (bin/test e2e sets both)", pytrace=False)
    binary = relay_binary()
    if not os.path.exists(binary):
        pytest.fail(f"relay binary not found at {binary} (build it, or set RELAY_BIN)", pytrace=False)
    workdir = Path(tempfile.mkdtemp(prefix="relay-e2e-"))
    try:
        copy = private_copy(binary, workdir)
    except BaseException:
        shutil.rmtree(workdir, ignore_errors=True)
        raise
    server = RelayServer(copy, redis_url, database_url, workdir)
    failed = False
    try:
        server.migrate()
        server.start()
        yield server
        failed = not server.alive()
        if failed:
            print(f"\nrelay dev exited during the run (rc {server.process.returncode})\n{server.log_tail()}")
    except Exception:
        failed = True
        raise
    finally:
        server.stop()
        if failed or os.environ.get("RELAY_E2E_KEEP_LOG") == "1":
            if copy != binary:
                os.remove(copy)  # keep the log, not a copy of the executable
            print(f"\nrelay log kept in {server.log_path}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(autouse=True)
def _print_log_on_failure(request, relay):
    yield
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        print(relay.log_tail(30))


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


# ----------------------------------------------------------------------------------------------------------------------
# users and clients


@pytest.fixture
def user(relay):
    """(user id, token) with 100 credits."""
    return relay.user()


@pytest.fixture
def broke_user(relay):
    """(user id, token) that was never granted credits."""
    return relay.user("broke", credits=None)


@pytest.fixture
def oai(relay, user):
    return openai_client(relay, user[1])


@pytest.fixture
def claude(relay, user):
    return anthropic_client(relay, api_key=user[1])
