"""The running Relay of the end-to-end suite: how it is started and stopped, tokens, credits, and small helpers.

conftest.py owns one RelayServer for the session; tests reach it through the `relay` fixture.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import string
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import jwt

ROOT = Path(__file__).resolve().parents[2]
E2E = Path(__file__).resolve().parent
CLI_TIMEOUT = 30


def relay_binary() -> str:
    return os.environ.get("RELAY_BIN") or str(ROOT / ".build" / "debug" / "relay")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def random_secret(length: int = 48) -> str:
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(length))


def new_user_id(tag: str = "u") -> str:
    return f"e2e-{tag}-{uuid.uuid4().hex[:12]}"


class RelayServer:
    """`relay dev` on a free port with the suite's workers.yml; its output goes to a log file."""

    def __init__(self, binary: str, redis_url: str, database_url: str, workdir: Path):
        self.binary = binary
        self.redis_url = redis_url
        self.database_url = database_url
        self.workdir = workdir
        self.secret = random_secret()
        self.port = free_port()
        self.log_path = workdir / "relay.log"
        self.process: subprocess.Popen | None = None

    # ----------------------------------------------------------------------------------------------------------------
    # addresses

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def v1(self) -> str:
        return f"{self.http}/v1"

    @property
    def ws(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    # ----------------------------------------------------------------------------------------------------------------
    # lifecycle

    def env(self, **extra: str) -> dict:
        env = dict(os.environ)
        for name in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "OPENAI_BASE_URL", "ANTHROPIC_BASE_URL", "RELAY_PORT",
                     "RELAY_WORKERS_CONFIG", "RELAY_RPM", "RELAY_TPM", "RELAY_JWT_PUBLIC_KEY_FILE", "RELAY_JWKS_FILE",
                     "RELAY_ALERT_WEBHOOK"):
            env.pop(name, None)
        env.update(REDIS_URL=self.redis_url, DATABASE_URL=self.database_url, RELAY_JWT_SECRET=self.secret)
        env.update(extra)
        return env

    @property
    def argv(self) -> list[str]:
        """The command that runs relay (a .py stand-in such as reference_relay.py runs with this interpreter)."""
        return [sys.executable, self.binary] if self.binary.endswith(".py") else [self.binary]

    def cli(self, *args: str, check: bool = True, env: dict | None = None) -> subprocess.CompletedProcess:
        """Runs `relay ARGS` from the repository root; raises with its output when it fails and check is set."""
        done = subprocess.run([*self.argv, *args], cwd=ROOT, env=env or self.env(), capture_output=True, text=True,
                              timeout=CLI_TIMEOUT)
        if check and done.returncode != 0:
            raise AssertionError(f"`relay {' '.join(args)}` failed (rc {done.returncode}):\n"
                                 f"{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
        return done

    def migrate(self) -> None:
        self.cli("migrate", "--database", self.database_url, "--dir", "migrations")

    def session_config(self) -> Path:
        """Tests/e2e/workers.yml with this session's own queue names (e2e-<tag>-…), so no other Relay on the same
        Redis (a leftover run, bin/dev) takes its jobs."""
        text = (E2E / "workers.yml").read_text()
        assert "queue: e2e-" in text
        path = self.workdir / "workers.yml"
        path.write_text(text.replace("queue: e2e-", f"queue: e2e-{uuid.uuid4().hex[:8]}-"))
        return path

    def start(self, ready_timeout: float = 30.0) -> None:
        log = open(self.log_path, "wb")
        self.process = subprocess.Popen(
            [*self.argv, "dev", "--port", str(self.port), "--config", str(self.session_config()),
             "--spool", str(self.workdir / "spool")],  # not .relay/spool, which a bin/dev Relay may drain
            cwd=ROOT, env=self.env(), stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + ready_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"relay dev exited with {self.process.returncode} before it was ready\n"
                                   f"{self.log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.http}/healthz", timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"relay dev did not answer /healthz with 200 within {ready_timeout:.0f} s\n{self.log_tail()}")

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)

    def log_tail(self, lines: int = 60) -> str:
        try:
            text = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return "(no log)"
        return f"--- last {lines} lines of {self.log_path} ---\n" + "\n".join(text[-lines:])

    # ----------------------------------------------------------------------------------------------------------------
    # tokens and credits

    def token(self, user: str, *, roles: list[str] | None = None, permissions: list[str] | None = None,
              ttl: int = 3600, secret: str | None = None, claims: dict | None = None) -> str:
        """An HS256 JWT like the one `relay token` makes: sub, iat, exp, roles, permissions."""
        now = int(time.time())
        payload = {
            "sub": user,
            "iat": now,
            "exp": now + ttl,
            "roles": ["user"] if roles is None else roles,
            "permissions": ["services:use"] if permissions is None else permissions,
        }
        payload.update(claims or {})
        return jwt.encode(payload, secret or self.secret, algorithm="HS256")

    def grant(self, user: str, amount: str = "100") -> None:
        self.cli("credits", "grant", user, amount, "--database", self.database_url)

    def balance(self, user: str) -> dict[str, str]:
        """`relay credits balance USER` as {"available": "99.99", "reserved": "0", "ledger": "consistent", …}."""
        out = self.cli("credits", "balance", user, "--database", self.database_url).stdout
        return dict(line.split(None, 1) for line in out.splitlines() if len(line.split(None, 1)) == 2)

    def user(self, tag: str = "u", credits: str | None = "100", **token_args) -> tuple[str, str]:
        """A fresh user id (with credits unless credits is None) and a token for it."""
        user = new_user_id(tag)
        if credits is not None:
            self.grant(user, credits)
        return user, self.token(user, **token_args)


# ----------------------------------------------------------------------------------------------------------------------
# extra processes for the multi-process tests (test_breaker_processes.py, test_rate_limits.py)


def llmock_binary() -> str:
    return os.environ.get("RELAY_LLMOCK") or str(ROOT / ".venv" / "bin" / "llmock")


def wait_http_ok(url: str, timeout: float, process: subprocess.Popen | None = None, what: str = "server") -> None:
    """Polls url until it answers 200; raises when the process exits first or the time runs out."""
    deadline = time.monotonic() + timeout
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: never through a proxy
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode} before answering {url}")
        try:
            with opener.open(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not answer {url} with 200 within {timeout:.0f} s")


class Process:
    """One extra process (relay serve, relay work, llmock) with its output in a log file; stop() is idempotent."""

    def __init__(self, argv: list[str], env: dict, log_path: Path, name: str, stop_signal: int = signal.SIGTERM):
        self.name = name
        self.log_path = log_path
        self.stop_signal = stop_signal
        with open(log_path, "ab") as log:
            self.process = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                            start_new_session=True)

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self, sig: int | None = None, grace: float = 5.0) -> None:
        if self.process.poll() is not None:
            return
        try:
            self.process.send_signal(sig or self.stop_signal)
            self.process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)
        except ProcessLookupError:
            pass

    def kill(self) -> None:
        self.stop(signal.SIGKILL)

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return f"({self.name}: no log)"
        return f"--- last {lines} lines of {self.name} ({self.log_path}) ---\n" + "\n".join(text[-lines:])


class Processes:
    """The extra processes of one test: `with Processes(workdir) as procs:` stops every one of them at the end (also
    on failure) and prints their log tails when the block raised."""

    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.started: list[Process] = []

    def __enter__(self) -> "Processes":
        return self

    def print_logs(self) -> None:
        for proc in self.started:
            print(proc.log_tail())

    def __exit__(self, kind, value, traceback) -> None:
        if kind is not None:
            self.print_logs()
        for proc in reversed(self.started):
            try:
                proc.stop()
            except Exception as error:  # keep stopping the others
                print(f"could not stop {proc.name}: {error}")

    def start(self, argv: list[str], env: dict, name: str, stop_signal: int = signal.SIGTERM) -> Process:
        proc = Process(argv, env, self.workdir / f"{name}.log", name, stop_signal)
        self.started.append(proc)
        return proc

    def relay(self, binary: str, args: list[str], env: dict, name: str) -> Process:
        argv = [sys.executable, binary] if binary.endswith(".py") else [binary]
        return self.start([*argv, *args], env, name)

    def relay_serve(self, binary: str, config: Path, env: dict, name: str, port: int | None = None,
                    extra: list[str] | None = None, ready_timeout: float = 30.0) -> tuple[Process, int]:
        """`relay serve --config CONFIG --port PORT` (a free one by default), once /healthz answers 200."""
        port = port or free_port()
        proc = self.relay(binary, ["serve", "--config", str(config), "--port", str(port), *(extra or [])], env, name)
        try:
            wait_http_ok(f"http://127.0.0.1:{port}/healthz", ready_timeout, proc.process, name)
        except RuntimeError as error:
            raise RuntimeError(f"{error}\n{proc.log_tail()}") from None
        return proc, port

    def llmock(self, port: int, *extra: str, name: str = "llmock", ready_timeout: float = 20.0) -> Process:
        """llmock on 127.0.0.1:PORT, no latency; extra flags such as --error-rate 503=1.0. Stopped with SIGKILL
        (uvicorn ignores SIGTERM while clients keep connections open)."""
        proc = self.start([llmock_binary(), "serve", "--host", "127.0.0.1", "--port", str(port), "--log-level",
                           "warning", "--latency-ms", "0", "--stream-chunk-delay-ms", "0", *extra], dict(os.environ),
                          name, stop_signal=signal.SIGKILL)
        try:
            wait_http_ok(f"http://127.0.0.1:{port}/_llmock/requests", ready_timeout, proc.process, name)
        except RuntimeError as error:
            proc.stop()
            raise RuntimeError(f"{error}\n{proc.log_tail()}") from None
        return proc


class Endpoint:
    """Another ingress's addresses, shaped like RelayServer's, so clients.py and wsclient.py work with it."""

    def __init__(self, port: int):
        self.port = port
        self.http = f"http://127.0.0.1:{port}"
        self.v1 = f"{self.http}/v1"
        self.ws = f"ws://127.0.0.1:{port}/ws"
