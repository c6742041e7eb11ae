"""WebSocket helpers: connecting with a token, sending requests, and reading one request's messages with time limits."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections import defaultdict

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

RECV_TIMEOUT = 10.0
FINAL_TYPES = ("done", "error")


def rid(tag: str = "r") -> str:
    return f"{tag}-{uuid.uuid4().hex[:10]}"


def ws_connect(relay, token: str | None = None, *, query: bool = False, **kwargs):
    """`async with ws_connect(relay, token) as ws`: the token in an Authorization header, or in ?token= when query."""
    uri = relay.ws
    headers = {}
    if token is not None and query:
        uri += f"?token={token}"
    elif token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return connect(uri, additional_headers=headers, open_timeout=10, close_timeout=5, **kwargs)


def chat(request_id: str, content: str = "hello relay", model: str = "gpt-4o-mini", **extra) -> dict:
    return {"id": request_id, "type": "chat", "model": model, "messages": [{"role": "user", "content": content}],
            **extra}


class Session:
    """One connection: messages of every request id are buffered, so several requests can be read in any order."""

    def __init__(self, ws: ClientConnection):
        self.ws = ws
        self.pending: dict[str, list[dict]] = defaultdict(list)
        self.unmatched: list = []

    async def send(self, message: dict | str | bytes) -> None:
        await self.ws.send(message if isinstance(message, (str, bytes)) else json.dumps(message))

    async def _read_one(self, timeout: float) -> dict:
        raw = await asyncio.wait_for(self.ws.recv(), timeout)
        message = json.loads(raw)
        if isinstance(message, dict) and isinstance(message.get("id"), str):
            self.pending[message["id"]].append(message)
        else:
            self.unmatched.append(message)
        return message

    async def next_for(self, request_id: str, timeout: float = RECV_TIMEOUT) -> dict:
        """The next message for one request id (others are kept for later)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not self.pending[request_id]:
            left = deadline - loop.time()
            if left <= 0:
                raise TimeoutError(f"no message for {request_id} within {timeout:.0f} s")
            await self._read_one(left)
        return self.pending[request_id].pop(0)

    async def until_final(self, request_id: str, timeout: float = RECV_TIMEOUT) -> list[dict]:
        """Every message for a request up to and including its done or error; timeout applies between messages."""
        messages = []
        while True:
            message = await self.next_for(request_id, timeout)
            messages.append(message)
            if message.get("type") in FINAL_TYPES:
                return messages

    async def all_final(self, request_ids: list[str], timeout: float = 30.0) -> dict[str, list[dict]]:
        """Reads until every request id got its done or error (one overall time limit)."""
        results = {r: [] for r in request_ids}
        open_ids = set(request_ids)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while open_ids:
            for r in list(open_ids):
                while self.pending[r]:
                    message = self.pending[r].pop(0)
                    results[r].append(message)
                    if message.get("type") in FINAL_TYPES:
                        open_ids.discard(r)
                        break
            if not open_ids:
                break
            left = deadline - loop.time()
            if left <= 0:
                raise TimeoutError(f"{len(open_ids)} of {len(request_ids)} requests unfinished after {timeout:.0f} s: "
                                   f"{sorted(open_ids)[:5]}")
            await self._read_one(left)
        return results

    async def quiet_for(self, request_id: str, seconds: float) -> list[dict]:
        """Messages that arrive for request_id within `seconds` (reading everything meanwhile)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while True:
            left = deadline - loop.time()
            if left <= 0:
                break
            try:
                await self._read_one(left)
            except (TimeoutError, asyncio.TimeoutError):
                break
        got, self.pending[request_id] = self.pending[request_id], []
        return got

    async def closed(self, timeout: float = RECV_TIMEOUT) -> tuple[int | None, str]:
        """Reads until the server closes; the close code and reason it sent (None when no close frame came)."""
        try:
            while True:
                await asyncio.wait_for(self.ws.recv(), timeout)
        except ConnectionClosed as closed:
            if closed.rcvd is None:
                return None, ""
            return closed.rcvd.code, closed.rcvd.reason


# ----------------------------------------------------------------------------------------------------------------------
# checks on one request's messages


def chunks_of(messages: list[dict]) -> list[dict]:
    return [m for m in messages if m.get("type") == "chunk"]


def text_of(messages: list[dict]) -> str:
    return "".join(m["data"] for m in chunks_of(messages))


def final(messages: list[dict]) -> dict:
    assert messages and messages[-1].get("type") in FINAL_TYPES, f"no done/error in {messages[-3:]}"
    return messages[-1]


def error_code(messages: list[dict]) -> str | None:
    last = final(messages)
    return last["error"]["code"] if last["type"] == "error" else None


def assert_done(messages: list[dict], request_id: str, first_seq: int = 1) -> dict:
    """The request streamed chunks numbered first_seq, first_seq+1, … and ended with done; returns done."""
    last = final(messages)
    assert last["type"] == "done", f"{request_id} ended with {last}"
    assert all(m["id"] == request_id for m in messages)
    seqs = [m["seq"] for m in messages if m.get("type") in ("chunk", "embedding")]
    assert seqs == list(range(first_seq, first_seq + len(seqs))), f"seqs of {request_id}: {seqs}"
    assert last.get("seq") == first_seq + len(seqs), f"done seq {last.get('seq')} after chunks {seqs[-3:]}"
    return last
