"""The circuit breaker is shared through Redis by two `relay work` processes behind one `relay serve`.

A provider `flaky` of kind openai points at llmock answering every request with 503; `simulated` serves the same
model after it. The circuit of `flaky` opens after a handful of requests, llmock then stops seeing requests although
both worker processes keep answering (from `simulated`), and once a healthy llmock listens on the same port the
circuit goes half-open and closes again, and `flaky` answers. Half-way, both workers are replaced by two fresh
processes, which can only know the open circuit from Redis. Also: `auto` routing, and the load figures (`inFlight`,
`latencyMs`) of `GET /api/providers`.

Each test gets its own queue and its own provider ids (`flaky-<hex>`, `simulated-<hex>`): the circuit state and the
load figures live in Redis under the provider id, shared with every Relay on the same Redis.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import urllib.request
import uuid
from pathlib import Path

import pytest

from harness import Endpoint, Processes, free_port, random_secret
from wsclient import Session, assert_done, chat, final, rid, ws_connect

VOLUME_THRESHOLD = 4
RESET_TIMEOUT_S = 3.0

CONFIG = """\
pools:
  interactive:
    queue: {queue}
    concurrency: 8
    priority: 1
    timeout: 20000
    attempts: 1
    kinds: [chat, completion]

providers:
  {flaky}:
    kind: openai
    baseURL: http://127.0.0.1:{llmock_port}/v1
    apiKeyEnv: FLAKY_KEY
    models:
      gpt-4o-mini: {{ contextWindow: 128000, capabilities: [chat], price: {{ input: 0.15, output: 0.6 }} }}
  {sim}:
    kind: simulated
    latencyMs: 0
    models:
      gpt-4o-mini: {{ contextWindow: 128000, capabilities: [chat, completion], price: {{ input: 0.15, output: 0.6 }} }}

  {other}:                     # first in name order, serves chat, but not gpt-4o-mini: never in its chain
    kind: simulated
    latencyMs: 0
    models:
      other-model: {{ contextWindow: 32768, capabilities: [chat, completion], price: {{ input: 0.15, output: 0.6 }} }}

routing:
  gpt-4o-mini: [{flaky}, {sim}]
  other-model: [{other}]

breaker:
  timeout: 5000
  errorThresholdPercentage: 50
  rollingCountTimeout: 10000
  rollingCountBuckets: 10
  volumeThreshold: {volume}
  resetTimeout: {reset}
"""


def get_json(url: str, timeout: float = 5.0):
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(url, timeout=timeout) as response:
        return json.loads(response.read())


class Deployment:
    """llmock (failing), two `relay work` and one `relay serve` (no database) on a queue of their own."""

    def __init__(self, relay, procs: Processes, workdir: Path):
        self.relay = relay
        self.procs = procs
        self.llmock_port = free_port()
        self.queue = f"e2e-breaker-{uuid.uuid4().hex[:8]}"
        # The circuit state lives in Redis under the provider id: each test gets a `flaky` of its own.
        self.flaky = f"flaky-{uuid.uuid4().hex[:6]}"
        self.sim = f"simulated-{uuid.uuid4().hex[:6]}"  # so are its latency figures (other Relays have a `simulated`)
        self.other = f"aaa-other-{uuid.uuid4().hex[:6]}"
        self.config = workdir / "breaker-workers.yml"
        self.config.write_text(CONFIG.format(queue=self.queue, flaky=self.flaky, sim=self.sim, other=self.other, llmock_port=self.llmock_port,
                                             volume=VOLUME_THRESHOLD, reset=int(RESET_TIMEOUT_S * 1000)))
        self.secret = random_secret()
        env = relay.env(FLAKY_KEY="sk-test", RELAY_JWT_SECRET=self.secret)
        env.pop("DATABASE_URL", None)  # no billing: the ingress and the workers run without a ledger
        self.env = env
        self.llmock = None
        self.workers = []
        self.ingress = None

    def start(self, llmock_flags: tuple[str, ...] = ("--error-rate", "503=1.0")) -> None:
        self.llmock = self.procs.llmock(self.llmock_port, *llmock_flags, name="llmock-failing")
        self.start_workers(2)
        self.ingress, port = self.procs.relay_serve(self.relay.binary, self.config, self.env, "relay-serve")
        self.endpoint = Endpoint(port)
        time.sleep(0.5)
        self.check_workers()

    def start_workers(self, count: int) -> None:
        for _ in range(count):
            name = f"relay-work-{len(self.workers) + 1}"
            self.workers.append(self.procs.relay(self.relay.binary, ["work", "--config", str(self.config)], self.env,
                                                 name))

    def running_workers(self):
        return [w for w in self.workers if w.alive()]

    def check_workers(self) -> None:
        for worker in self.workers:
            if not getattr(worker, "retired", False):
                assert worker.alive(), f"{worker.name} exited (rc {worker.process.returncode})\n{worker.log_tail()}"

    def retire_workers(self) -> None:
        """Stops the running workers (SIGTERM to all, then waits): their in-memory state goes with them."""
        running = self.running_workers()
        for worker in running:
            worker.process.terminate()
            worker.retired = True
        for worker in running:
            worker.stop(grace=10)

    def token(self, user: str) -> str:
        return self.relay.token(user, secret=self.secret)

    def providers(self) -> dict[str, dict]:
        """GET /api/providers as {provider id: entry}, whatever the list or object shape."""
        body = get_json(f"{self.endpoint.http}/api/providers")
        entries = body.get("providers", body) if isinstance(body, dict) else body
        if isinstance(entries, dict):
            return {name: dict(entry, id=name) if isinstance(entry, dict) else entry for name, entry in entries.items()}
        return {entry.get("id") or entry.get("name"): entry for entry in entries}

    def circuit(self, provider: str | None = None):
        entry = self.providers()[provider or self.flaky]
        circuit = entry.get("circuit", entry.get("state"))
        return circuit.get("state") if isinstance(circuit, dict) else circuit

    def llmock_count(self) -> int:
        return get_json(f"http://127.0.0.1:{self.llmock_port}/_llmock/requests")["count"]

    def restart_llmock_healthy(self) -> None:
        self.llmock.kill()
        deadline = time.monotonic() + 10
        while True:  # the port can stay busy for a moment after the kill
            try:
                self.llmock = self.procs.llmock(self.llmock_port, name=f"llmock-healthy-{int(time.monotonic())}")
                return
            except RuntimeError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.3)


@contextlib.contextmanager
def running_deployment(relay, tmp_path, request, llmock_flags: tuple[str, ...]):
    with Processes(tmp_path) as procs:
        deployment = Deployment(relay, procs, tmp_path)
        deployment.start(llmock_flags)
        yield deployment
        report = getattr(request.node, "rep_call", None)
        if report is not None and report.failed:
            procs.print_logs()


@pytest.fixture
def deployment(relay, tmp_path, request):
    """The deployment with an llmock that answers every request with 503."""
    with running_deployment(relay, tmp_path, request, ("--error-rate", "503=1.0")) as deployment:
        yield deployment


@pytest.fixture
def healthy_deployment(relay, tmp_path, request):
    """The deployment with an llmock that answers."""
    with running_deployment(relay, tmp_path, request, ()) as deployment:
        yield deployment


async def one_request(session: Session, content: str, **extra) -> dict:
    request_id = rid("brk")
    await session.send(chat(request_id, content, maxTokens=5, **extra))
    messages = await session.until_final(request_id, timeout=15)
    return assert_done(messages, request_id)


@pytest.mark.deadline(60)
async def test_circuit_opens_for_both_workers_and_closes_after_recovery(deployment):
    flaky = deployment.flaky
    token = deployment.token(f"e2e-brk-{uuid.uuid4().hex[:8]}")
    async with ws_connect(deployment.endpoint, token) as ws:
        session = Session(ws)

        # 1. llmock fails everything: every request still succeeds, from simulated, and the circuit opens.
        dones = []
        opened_after = None
        for n in range(40):
            dones.append(await one_request(session, f"failing phase {n}"))
            if opened_after is None and await asyncio.to_thread(deployment.circuit) == "open":
                opened_after = n + 1
        assert all(d["provider"] == deployment.sim for d in dones), [d["provider"] for d in dones]
        assert all(d["fallback"] is True for d in dones), [d["fallback"] for d in dones]
        assert opened_after is not None and opened_after <= 2 * VOLUME_THRESHOLD, \
            f"the circuit of flaky was not open after {opened_after or '40+'} requests: {deployment.providers()}"
        calls = await asyncio.to_thread(deployment.llmock_count)
        print(f"circuit open after {opened_after} requests; llmock saw {calls} of 40")
        # Before the circuit opens each request may try flaky twice (one retry); once open, at most a half-open probe
        # (with its retry) per resetTimeout reaches llmock.
        assert calls <= 2 * VOLUME_THRESHOLD + 4, f"llmock saw {calls} requests over 40 (circuit open after " \
                                                   f"{opened_after})"
        await asyncio.to_thread(deployment.check_workers)

        # Two fresh worker processes replace both: with no local history they can only know the circuit from
        # Redis. While it is open, llmock sees at most the half-open probe (and its retry) of a lapsed resetTimeout.
        await asyncio.to_thread(deployment.retire_workers)
        await asyncio.to_thread(deployment.start_workers, 2)
        await asyncio.sleep(1.0)
        await asyncio.to_thread(deployment.check_workers)
        assert await asyncio.to_thread(deployment.circuit) == "open", await asyncio.to_thread(deployment.providers)
        before = await asyncio.to_thread(deployment.llmock_count)
        burst_started = time.monotonic()
        burst = [rid("open") for _ in range(16)]
        for request_id in burst:  # at once: both new workers take some
            await session.send(chat(request_id, f"open burst {request_id}", maxTokens=3))
        results = await session.all_final(burst, timeout=20)
        finals = [final(m) for m in results.values()]
        assert all(f["type"] == "done" and f["provider"] == deployment.sim for f in finals), \
            [f for f in finals if f["type"] != "done" or f["provider"] != deployment.sim][:3]
        after = await asyncio.to_thread(deployment.llmock_count)
        probes = 1 + int((time.monotonic() - burst_started) // RESET_TIMEOUT_S)  # one per lapsed resetTimeout
        assert after - before <= 2 * probes, \
            f"llmock saw {after - before} requests from 16 while the shared circuit was open (independent breakers " \
            f"would each call it until their own threshold)"
        await asyncio.to_thread(deployment.check_workers)

        # 2. A healthy llmock on the same port; past resetTimeout the half-open probe succeeds and the circuit closes.
        await asyncio.to_thread(deployment.restart_llmock_healthy)
        await asyncio.sleep(RESET_TIMEOUT_S + 0.5)
        providers = []
        for n in range(10):
            done = await one_request(session, f"recovered {n}")
            providers.append(done["provider"])
            if done["provider"] == flaky and await asyncio.to_thread(deployment.circuit) == "closed":
                break
        assert flaky in providers, f"no answer from {flaky} after the recovery: {providers}"
        assert await asyncio.to_thread(deployment.circuit) == "closed", deployment.providers()
        done = await one_request(session, "after close")
        assert done["provider"] == flaky and done["fallback"] is False, done
        assert await asyncio.to_thread(deployment.llmock_count) >= 2


@pytest.mark.deadline(40)
async def test_providers_show_in_flight_and_latency(deployment):
    token = deployment.token(f"e2e-load-{uuid.uuid4().hex[:8]}")
    async with ws_connect(deployment.endpoint, token) as ws:
        session = Session(ws)
        for n in range(8):  # opens flaky's circuit too: the rest goes straight to simulated
            await one_request(session, f"traffic {n}")
    deadline = time.monotonic() + 8  # the worker processes publish their figures every 2 s
    while True:
        providers = await asyncio.to_thread(deployment.providers)
        simulated = providers.get(deployment.sim, {})
        if simulated.get("latencyMs") is not None or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.5)
    flaky = deployment.flaky
    assert deployment.sim in providers and flaky in providers, providers
    assert isinstance(simulated.get("latencyMs"), (int, float)) and simulated["latencyMs"] >= 0, \
        f"simulated has no latency 8 s after its traffic: {simulated}"
    assert isinstance(simulated.get("inFlight"), int) and simulated["inFlight"] >= 0, simulated
    assert isinstance(providers[flaky].get("inFlight"), int), providers[flaky]
    # Every provider carries both keys, latencyMs null while it has no successful call to measure.
    missing = {name: [k for k in ("inFlight", "latencyMs") if k not in entry] for name, entry in providers.items()}
    assert not any(missing.values()), f"keys missing from GET /api/providers: {missing}; body {json.dumps(providers)}"


@pytest.mark.deadline(30)
async def test_auto_provider_answers_from_the_models_chain_when_the_first_fails(deployment):
    token = deployment.token(f"e2e-auto-{uuid.uuid4().hex[:8]}")
    async with ws_connect(deployment.endpoint, token) as ws:
        session = Session(ws)
        dones = [await one_request(session, f"route me automatically {n}", provider="auto") for n in range(3)]
    assert all(d["provider"] == deployment.sim for d in dones), dones  # flaky fails, other-model's provider is no choice


@pytest.mark.deadline(30)
async def test_auto_provider_answers_from_the_models_chain(healthy_deployment):
    deployment = healthy_deployment
    token = deployment.token(f"e2e-auto-{uuid.uuid4().hex[:8]}")
    async with ws_connect(deployment.endpoint, token) as ws:
        session = Session(ws)
        dones = [await one_request(session, f"route me automatically {n}", provider="auto") for n in range(6)]
    chain = (deployment.flaky, deployment.sim)
    assert all(d["provider"] in chain for d in dones), [d["provider"] for d in dones]
