"""WebSocket protocol: bad requests answered per id, bad frames close the connection, many requests per connection."""

from __future__ import annotations

import asyncio
import json

import pytest

from wsclient import Session, assert_done, chat, error_code, final, rid, ws_connect

BAD_REQUESTS = {
    "unknown-type": {"type": "dance", "model": "gpt-4o-mini"},
    "no-type": {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]},
    "chat-without-messages": {"type": "chat", "model": "gpt-4o-mini"},
    "messages-not-a-list": {"type": "chat", "model": "gpt-4o-mini", "messages": "hello"},
    "message-without-content": {"type": "chat", "model": "gpt-4o-mini", "messages": [{"role": "user"}]},
    "unknown-model": {"type": "chat", "model": "no-such-model", "messages": [{"role": "user", "content": "hi"}]},
    "no-model": {"type": "chat", "messages": [{"role": "user", "content": "hi"}]},
    "completion-without-prompt": {"type": "completion", "model": "gpt-4o-mini"},
    "embedding-without-input": {"type": "embedding", "model": "text-embedding-3-small"},
    "maxTokens-not-a-number": {"type": "chat", "model": "gpt-4o-mini", "maxTokens": "ten",
                               "messages": [{"role": "user", "content": "hi"}]},
    "unknown-provider": {"type": "chat", "model": "gpt-4o-mini", "provider": "nope",
                         "messages": [{"role": "user", "content": "hi"}]},
}


async def assert_usable(session: Session) -> None:
    request_id = rid("after")
    await session.send(chat(request_id, maxTokens=3))
    assert_done(await session.until_final(request_id), request_id)


@pytest.mark.parametrize("name", sorted(BAD_REQUESTS))
async def test_bad_request_is_invalid_request_and_connection_survives(relay, user, name):
    async with ws_connect(relay, user[1]) as ws:
        session = Session(ws)
        request_id = rid("bad")
        await session.send({"id": request_id, **BAD_REQUESTS[name]})
        messages = await session.until_final(request_id)
        assert error_code(messages) == "INVALID_REQUEST", messages
        assert final(messages)["error"]["message"]
        await assert_usable(session)


@pytest.mark.parametrize("frame", ["this is not json", "{\"id\": \"x\",", json.dumps({"type": "chat", "id": 5}),
                                   json.dumps({"type": "chat"}), json.dumps(["id", "x"])],
                         ids=["text", "truncated-json", "numeric-id", "no-id", "array"])
async def test_unreadable_frame_closes_with_a_reason(relay, user, frame):
    async with ws_connect(relay, user[1]) as ws:
        session = Session(ws)
        await session.send(frame)
        code, reason = await session.closed()
    assert code is not None and code != 1000, f"close code {code}"
    assert code in (1007, 1008), f"close code {code} ({reason!r})"
    assert reason
    async with ws_connect(relay, user[1]) as ws:  # the server is still up
        await assert_usable(Session(ws))


async def test_binary_frame_closes_with_1003(relay, user):
    async with ws_connect(relay, user[1]) as ws:
        session = Session(ws)
        await session.send(b"\x00\x01binary")
        code, reason = await session.closed()
    assert code == 1003, f"close code {code} ({reason!r})"


async def test_frame_over_one_mebibyte_closes_with_1009(relay, user):
    async with ws_connect(relay, user[1], compression=None) as ws:  # so the frame on the wire is over 1 MiB too
        session = Session(ws)
        try:
            await session.send(chat(rid(), "x" * (1024 * 1024 + 100)))
        except Exception:  # noqa: BLE001 - the server may close while the frame is being written
            pass
        code, reason = await session.closed()
    assert code == 1009, f"close code {code} ({reason!r})"
    async with ws_connect(relay, user[1]) as ws:
        await assert_usable(Session(ws))


@pytest.mark.deadline(90)
async def test_fifty_concurrent_requests_on_one_connection(relay):
    _, token = relay.user("many", credits="10000")
    ids = [rid(f"c{i}") for i in range(50)]
    async with ws_connect(relay, token) as ws:
        session = Session(ws)
        # slow-model streams 10 tokens/s: 50 requests of 10 tokens take ~1 s together, ~50 s one after another.
        await asyncio.gather(*(session.send(chat(i, f"question {n}", model="slow-model", maxTokens=10))
                               for n, i in enumerate(ids)))
        started = asyncio.get_running_loop().time()
        results = await session.all_final(ids, timeout=30)
        elapsed = asyncio.get_running_loop().time() - started
    for request_id in ids:
        assert_done(results[request_id], request_id)
        assert len([m for m in results[request_id] if m["type"] == "chunk"]) == 10
    assert elapsed < 20, f"50 requests took {elapsed:.1f} s: not run concurrently"


async def test_duplicate_id_in_flight_is_refused_and_first_completes(relay, user):
    async with ws_connect(relay, user[1]) as ws:
        session = Session(ws)
        request_id = rid("dup")
        await session.send(chat(request_id, "first", model="slow-model", maxTokens=15))
        first = await session.next_for(request_id)
        assert first["type"] == "chunk", first
        await session.send(chat(request_id, "second", model="slow-model", maxTokens=15))
        messages = [first]
        errors = []
        while True:
            message = await session.next_for(request_id)
            if message["type"] == "error":
                errors.append(message)
                if message["error"]["code"] != "INVALID_REQUEST":
                    break
                continue
            messages.append(message)
            if message["type"] == "done":
                break
    assert [e["error"]["code"] for e in errors] == ["INVALID_REQUEST"], errors
    assert_done(messages, request_id)
    assert len(messages) == 16


@pytest.mark.deadline(90)
async def test_more_than_64_in_flight_is_rate_limited(relay):
    _, token = relay.user("limit", credits="10000")
    ids = [rid(f"l{i}") for i in range(72)]
    async with ws_connect(relay, token) as ws:
        session = Session(ws)
        for n, request_id in enumerate(ids):  # in order, so the last ones are over the limit
            await session.send(chat(request_id, f"load {n}", model="slow-model", maxTokens=20))
        results = await session.all_final(ids, timeout=45)
    codes = {request_id: error_code(results[request_id]) for request_id in ids}
    limited = [request_id for request_id in ids if codes[request_id] == "RATE_LIMIT_EXCEEDED"]
    assert len(limited) >= 8, f"{len(limited)} rate limited; codes: {sorted(set(codes.values()), key=str)}"
    assert all(ids.index(r) >= 64 for r in limited), "a request within the first 64 was rate limited"
    completed = [r for r in ids if codes[r] is None]
    assert len(completed) == len(ids) - len(limited)
    assert all(codes[r] in (None, "RATE_LIMIT_EXCEEDED") for r in ids), codes
