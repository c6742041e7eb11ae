#!/usr/bin/env python3
"""A stand-in for the `relay` executable, written in Python, to check the end-to-end suite itself.

It implements the client-facing contract the suite tests (WebSocket /ws, the OpenAI and Anthropic HTTP APIs, health,
metrics, `token`, `credits grant`, `migrate`, `dev`) in one process with in-memory jobs, so a test that fails against
it is a test bug. bin/test does not use it:

    RELAY_BIN=Tests/e2e/reference_relay.py .venv/bin/python -m pytest Tests/e2e -q

Credits granted by `credits grant` are kept in a file named after DATABASE_URL under the temp directory.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import json
import os
import struct
import sys
import tempfile
import time
from decimal import Decimal

import jwt

WORDS = ["relay", "queues", "every", "request", "to", "a", "worker", "that", "streams", "the", "answer", "back",
         "through", "redis", "while", "credits", "are", "settled", "once"]
# model: (speed, priced, kinds, (input, output) credits per 1,000 tokens)
MODELS = {
    "gpt-4o-mini": ("fast", True, {"chat", "completion"}, ("0.15", "0.6")),
    "claude-sonnet-4": ("fast", True, {"chat"}, ("3", "15")),
    "text-embedding-3-small": ("fast", True, {"embedding"}, ("0.02", "0")),
    "free-model": ("fast", False, {"chat", "completion"}, ("0", "0")),
    "slow-model": ("slow", True, {"chat", "completion"}, ("0.15", "0.6")),
    "flaky-model": ("broken", True, {"chat", "completion"}, ("0.15", "0.6")),
}
MAX_IN_FLIGHT = 64
MAX_BODY = 4 * 1024 * 1024


def credits_file() -> str:
    key = hashlib.sha256(os.environ.get("DATABASE_URL", "").encode()).hexdigest()[:16]
    return os.path.join(tempfile.gettempdir(), f"relay-reference-credits-{key}.jsonl")


def balance(user: str) -> Decimal:
    try:
        with open(credits_file()) as f:
            return sum((Decimal(r["amount"]) for r in map(json.loads, f) if r["user"] == user), Decimal(0))
    except FileNotFoundError:
        return Decimal(0)


def add_credits(user: str, amount: Decimal) -> None:
    with open(credits_file(), "a") as f:
        f.write(json.dumps({"user": user, "amount": str(amount)}) + "\n")


def fnv(text: str) -> int:
    h = 14695981039346656037
    for b in text.encode():
        h = ((h ^ b) * 1099511628211) % 2**64
    return h


def embedding(text: str) -> list[float]:
    state, out = fnv(text), []
    for _ in range(8):
        state = (state * 6364136223846793005 + 1) % 2**64
        out.append((state >> 11) / float(1 << 53) * 2 - 1)
    return out


class Failure(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


def verify(secret: str, token: str | None) -> dict:
    if not token:
        raise Failure("UNAUTHORIZED", "a token is required")
    try:
        claims = jwt.decode(token, secret, algorithms=["HS256"], options={"require": ["sub", "exp"]})
    except jwt.PyJWTError as error:
        raise Failure("UNAUTHORIZED", f"invalid token: {error}") from None
    if "services:use" not in (claims.get("permissions") or []) and "admin" not in (claims.get("roles") or []):
        raise Failure("FORBIDDEN", "the token lacks services:use")
    return claims


def validate(req: dict) -> tuple[str, str, int | None]:
    """(kind, prompt text, maxTokens) of a request, or Failure INVALID_REQUEST."""
    kind, model = req.get("type"), req.get("model")
    if kind not in ("chat", "completion", "embedding"):
        raise Failure("INVALID_REQUEST", f"unknown type {kind!r}")
    if not isinstance(model, str) or model not in MODELS or kind not in MODELS[model][2]:
        raise Failure("INVALID_REQUEST", f"unknown model {model!r}")
    if req.get("provider") not in (None, "openai", "claude", "auto"):
        raise Failure("INVALID_REQUEST", "unknown provider")
    max_tokens = req.get("maxTokens")
    if max_tokens is not None and (not isinstance(max_tokens, int) or isinstance(max_tokens, bool) or max_tokens < 1):
        raise Failure("INVALID_REQUEST", "maxTokens must be a positive integer")
    if kind == "chat":
        messages = req.get("messages")
        if not isinstance(messages, list) or not messages or not all(
                isinstance(m, dict) and isinstance(m.get("content"), str) for m in messages):
            raise Failure("INVALID_REQUEST", "messages must be a list of {role, content}")
        return kind, "\n".join(m["content"] for m in messages), max_tokens
    if kind == "completion":
        if not isinstance(req.get("prompt"), str):
            raise Failure("INVALID_REQUEST", "prompt is required")
        return kind, req["prompt"], max_tokens
    given = req.get("input")
    if isinstance(given, str):
        given = [given]
    if not isinstance(given, list) or not given or not all(isinstance(x, str) for x in given):
        raise Failure("INVALID_REQUEST", "input must be a string or a list of strings")
    return kind, "\n".join(given), max_tokens


class Job:
    """One request's numbered messages, kept so a client can resume after any sequence number."""

    def __init__(self, user: str, req: dict):
        self.user, self.req = user, req
        self.log: list[dict] = []
        self.changed = asyncio.Condition()
        self.finished = False
        self.task = asyncio.create_task(self.run())

    async def publish(self, message: dict) -> None:
        async with self.changed:
            message["seq"] = len(self.log) + 1
            self.log.append(message)
            self.finished = message["type"] in ("done", "error")
            self.changed.notify_all()

    async def run(self) -> None:
        kind, prompt, max_tokens = validate(self.req)
        speed = MODELS[self.req["model"]][0]
        prompt_tokens = max(1, len(prompt.encode()) // 4)
        try:
            if speed == "broken":
                await self.publish({"type": "error", "error": {"code": "ALL_PROVIDERS_FAILED",
                                                               "message": "simulated failure"}})
                return
            if kind == "embedding":
                given = self.req["input"] if isinstance(self.req["input"], list) else [self.req["input"]]
                await self.publish({"type": "embedding", "data": [embedding(t) for t in given]})
                count = 0
            else:
                count, seed = max_tokens or 16, fnv(prompt)
                for index in range(count):
                    if speed == "slow" and index > 0:
                        await asyncio.sleep(0.1)
                    word = WORDS[(seed + index * 2654435761) % 2**64 % len(WORDS)]
                    await self.publish({"type": "chunk", "data": word if index == 0 else " " + word})
            price_in, price_out = MODELS[self.req["model"]][3]
            add_credits(self.user, -(prompt_tokens * Decimal(price_in) + count * Decimal(price_out)) / 1000)
            await self.publish({"type": "done", "provider": "simulated", "fallback": False,
                                "finishReason": "length" if max_tokens else "stop",
                                "usage": {"promptTokens": prompt_tokens, "completionTokens": count,
                                          "totalTokens": prompt_tokens + count}})
        except asyncio.CancelledError:
            await self.publish({"type": "error", "error": {"code": "CANCELLED", "message": "the request was cancelled"}})

    async def follow(self, after: int = 0):
        index = after
        while True:
            async with self.changed:
                await self.changed.wait_for(lambda: len(self.log) > index)
                fresh = self.log[index:]
            index += len(fresh)
            for message in fresh:
                yield message
                if message["type"] in ("done", "error"):
                    return


class App:
    def __init__(self, secret: str):
        self.secret = secret
        self.jobs: dict[tuple[str, str], Job] = {}
        self.requests = 0

    async def __call__(self, scope, receive, send):
        if scope["type"] == "websocket":
            await WSConnection(self, scope, receive, send).run()
        elif scope["type"] == "http":
            from reference_http import handle_http
            self.requests += 1
            await handle_http(self, scope, receive, send)
        elif scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})

    def start(self, user: str, req: dict) -> Job:
        validate(req)
        if MODELS[req["model"]][1] and balance(user) <= 0:
            raise Failure("INSUFFICIENT_CREDITS", "no credits left")
        return Job(user, req)


class WSConnection:
    def __init__(self, app: App, scope, receive, send):
        self.app, self.scope, self.receive, self._send = app, scope, receive, send
        self.lock = asyncio.Lock()
        self.in_flight: dict[str, asyncio.Task] = {}

    async def send(self, message: dict) -> None:
        async with self.lock:
            await self._send({"type": "websocket.send", "text": json.dumps(message)})

    async def refuse(self, status: int, message: str) -> None:
        await self._send({"type": "websocket.http.response.start", "status": status,
                          "headers": [(b"content-type", b"application/json")]})
        await self._send({"type": "websocket.http.response.body", "body": json.dumps({"error": message}).encode()})

    async def run(self) -> None:
        await self.receive()  # websocket.connect
        headers = dict(self.scope["headers"])
        token = None
        auth = headers.get(b"authorization", b"").decode()
        if auth.lower().startswith("bearer "):
            token = auth[7:]
        query = dict(p.split("=", 1) for p in self.scope["query_string"].decode().split("&") if "=" in p)
        token = token or query.get("token")
        try:
            self.user = verify(self.app.secret, token)["sub"]
        except Failure as failure:
            return await self.refuse(401 if failure.code == "UNAUTHORIZED" else 403, failure.message)
        await self._send({"type": "websocket.accept"})
        try:
            while True:
                event = await self.receive()
                if event["type"] == "websocket.disconnect":
                    return
                if event.get("bytes") is not None:
                    return await self.close(1003, "binary frames are not supported")
                if len(event["text"].encode()) > 1024 * 1024:
                    return await self.close(1009, "frame over 1 MiB")
                try:
                    message = json.loads(event["text"])
                except ValueError:
                    return await self.close(1007, "not JSON")
                if not isinstance(message, dict) or not isinstance(message.get("id"), str):
                    return await self.close(1008, "a message needs a string id")
                await self.handle(message)
        finally:
            for task in self.in_flight.values():
                task.cancel()

    async def close(self, code: int, reason: str) -> None:
        await self._send({"type": "websocket.close", "code": code, "reason": reason})

    async def error(self, request_id: str, code: str, message: str) -> None:
        await self.send({"id": request_id, "type": "error", "error": {"code": code, "message": message}})

    async def handle(self, message: dict) -> None:
        request_id, kind = message["id"], message.get("type")
        job = self.app.jobs.get((self.user, request_id))
        if kind == "cancel":
            if job is None or job.finished:
                return await self.error(request_id, "INVALID_REQUEST", "no such request in flight")
            job.task.cancel()
            return
        if kind == "resume":
            after = message.get("after", 0)
            if job is None or not isinstance(after, int):
                return await self.error(request_id, "INVALID_REQUEST", "no such request")
            self.forward(request_id, job, after, True)
            return
        if request_id in self.in_flight:
            return await self.error(request_id, "INVALID_REQUEST", "this id is in flight")
        if len(self.in_flight) >= MAX_IN_FLIGHT:
            return await self.error(request_id, "RATE_LIMIT_EXCEEDED", "too many requests in flight")
        try:
            job = self.app.start(self.user, message)
        except Failure as failure:
            return await self.error(request_id, failure.code, failure.message)
        self.app.jobs[(self.user, request_id)] = job
        self.forward(request_id, job, 0, message.get("stream", True) is not False)

    def forward(self, request_id: str, job: Job, after: int, stream: bool) -> None:
        async def pump():
            text = []
            try:
                async for message in job.follow(after):
                    if message["type"] == "chunk":
                        text.append(message["data"])
                        if not stream:
                            continue
                    out = {"id": request_id, **message}
                    if message["type"] == "done" and not stream:
                        out["data"] = "".join(text)
                    await self.send(out)
            finally:
                self.in_flight.pop(request_id, None)
        self.in_flight[request_id] = asyncio.create_task(pump())


def main() -> None:
    parser = argparse.ArgumentParser(prog="relay")
    sub = parser.add_subparsers(dest="command", required=True)
    migrate = sub.add_parser("migrate")
    migrate.add_argument("--database")
    migrate.add_argument("--dir")
    dev = sub.add_parser("dev")
    dev.add_argument("--port", type=int, default=3003)
    dev.add_argument("--config")
    dev.add_argument("--spool")
    token = sub.add_parser("token")
    token.add_argument("--user", required=True)
    token.add_argument("--role", action="append", default=[])
    token.add_argument("--permission", action="append", default=[])
    token.add_argument("--ttl", type=int, default=3600)
    credits = sub.add_parser("credits")
    credits_sub = credits.add_subparsers(dest="action", required=True)
    grant = credits_sub.add_parser("grant")
    grant.add_argument("user")
    grant.add_argument("amount", type=Decimal)
    grant.add_argument("--database")
    show = credits_sub.add_parser("balance")
    show.add_argument("user")
    show.add_argument("--database")
    args = parser.parse_args()
    secret = os.environ.get("RELAY_JWT_SECRET", "")
    if args.command == "migrate":
        return
    if args.command == "token":
        now = int(time.time())
        print(jwt.encode({"sub": args.user, "iat": now, "exp": now + args.ttl, "roles": args.role or ["user"],
                          "permissions": args.permission or ["services:use"]}, secret, algorithm="HS256"))
        return
    if args.command == "credits":
        if args.database:
            os.environ["DATABASE_URL"] = args.database
        if args.action == "grant":
            add_credits(args.user, args.amount)
        else:
            print(f"user       {args.user}\navailable  {balance(args.user).normalize()}\nreserved   0\n"
                  "ledger     consistent")
        return
    import uvicorn
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import reference_relay  # one module instance for both halves (this file also runs as __main__)
    uvicorn.run(reference_relay.App(secret), host="127.0.0.1", port=args.port, ws="websockets-sansio", ws_max_size=1024 * 1024,
                log_level="warning", lifespan="on")


if __name__ == "__main__":
    main()
