"""Cancel, and a job that outlives its connection: resume after the last sequence number seen."""

from __future__ import annotations

import asyncio

import pytest

from wsclient import Session, assert_done, chat, chunks_of, error_code, rid, text_of, ws_connect


async def uninterrupted(relay, token, request: dict) -> list[dict]:
    async with ws_connect(relay, token) as ws:
        session = Session(ws)
        await session.send(request)
        return await session.until_final(request["id"])


async def test_cancel_mid_stream(relay, user):
    async with ws_connect(relay, user[1]) as ws:
        session = Session(ws)
        request_id = rid("cancel")
        await session.send(chat(request_id, "cancel me", model="slow-model", maxTokens=60))
        first = await session.next_for(request_id)
        assert first["type"] == "chunk", first
        await session.send({"type": "cancel", "id": request_id})
        messages = [first, *await session.until_final(request_id)]
        assert error_code(messages) == "CANCELLED", messages[-1]
        assert len(chunks_of(messages)) < 60
        assert not [m for m in messages if m["type"] == "done"]
        late = await session.quiet_for(request_id, 1.5)  # nothing after the error, in particular no done
        assert late == [], late
        other = rid("after-cancel")  # the connection is still usable
        await session.send(chat(other, maxTokens=2))
        assert_done(await session.until_final(other), other)


async def test_cancel_of_unknown_id_is_invalid_request(relay, user):
    async with ws_connect(relay, user[1]) as ws:
        session = Session(ws)
        request_id = rid("nothing")
        await session.send({"type": "cancel", "id": request_id})
        assert error_code(await session.until_final(request_id)) == "INVALID_REQUEST"


@pytest.mark.deadline(60)
async def test_disconnect_then_resume_after_last_seq(relay, user):
    content, max_tokens = "resume this story", 30
    request_id = rid("resume")
    reference = asyncio.create_task(
        uninterrupted(relay, user[1], chat(rid("ref"), content, model="slow-model", maxTokens=max_tokens)))
    seen = []
    async with ws_connect(relay, user[1]) as ws:
        session = Session(ws)
        await session.send(chat(request_id, content, model="slow-model", maxTokens=max_tokens))
        while len(seen) < 3:
            message = await session.next_for(request_id)
            assert message["type"] == "chunk", message
            seen.append(message)
    last_seq = seen[-1]["seq"]
    assert [m["seq"] for m in seen] == [1, 2, 3]
    await asyncio.sleep(0.5)  # the job goes on while nobody listens
    async with ws_connect(relay, relay.token(user[0])) as ws:  # same user, another token
        session = Session(ws)
        await session.send({"type": "resume", "id": request_id, "after": last_seq})
        rest = await session.until_final(request_id)
    assert_done(rest, request_id, first_seq=last_seq + 1)
    full = text_of(seen) + text_of(rest)
    expected = await reference
    assert full == text_of(expected)
    assert len(seen) + len(chunks_of(rest)) == max_tokens


async def test_resume_after_the_job_finished(relay, user):
    request_id = rid("finished")
    async with ws_connect(relay, user[1]) as ws:
        session = Session(ws)
        await session.send(chat(request_id, "finish without me", model="slow-model", maxTokens=8))
        first = await session.next_for(request_id)
        assert first["type"] == "chunk", first
    await asyncio.sleep(2.0)  # 8 tokens at 10/s: done by now
    async with ws_connect(relay, user[1]) as ws:
        session = Session(ws)
        await session.send({"type": "resume", "id": request_id, "after": 0})
        messages = await session.until_final(request_id)
    assert_done(messages, request_id)
    assert len(chunks_of(messages)) == 8
    assert messages[0]["data"] == first["data"]


async def test_resume_of_a_completed_fast_request_replays_everything(relay, user):
    request_id = rid("replay")
    original = await uninterrupted(relay, user[1], chat(request_id, "replay me"))
    assert_done(original, request_id)
    async with ws_connect(relay, user[1]) as ws:
        session = Session(ws)
        await session.send({"type": "resume", "id": request_id, "after": 0})
        replay = await session.until_final(request_id)
    assert_done(replay, request_id)
    assert text_of(replay) == text_of(original)


async def test_resume_of_another_users_request_is_refused(relay, user):
    request_id = rid("mine")
    await uninterrupted(relay, user[1], chat(request_id, "private text", maxTokens=4))
    _, other_token = relay.user("other")
    async with ws_connect(relay, other_token) as ws:
        session = Session(ws)
        await session.send({"type": "resume", "id": request_id, "after": 0})
        messages = await session.until_final(request_id)
    assert error_code(messages) == "INVALID_REQUEST", messages
    assert not chunks_of(messages)


async def test_resume_of_unknown_id_is_invalid_request(relay, user):
    async with ws_connect(relay, user[1]) as ws:
        session = Session(ws)
        request_id = rid("ghost")
        await session.send({"type": "resume", "id": request_id, "after": 0})
        assert error_code(await session.until_final(request_id)) == "INVALID_REQUEST"
