"""WebSocket requests that succeed (or are refused for credits): chat, completion, embedding, stream false."""

from __future__ import annotations

import pytest

from wsclient import Session, assert_done, chat, chunks_of, error_code, final, rid, text_of, ws_connect


async def run(relay, token, request: dict) -> list[dict]:
    async with ws_connect(relay, token) as ws:
        session = Session(ws)
        await session.send(request)
        return await session.until_final(request["id"])


async def test_chat_streams_numbered_chunks_then_done(relay, user):
    request_id = rid()
    messages = await run(relay, user[1], chat(request_id, "tell me about relay"))
    done = assert_done(messages, request_id)
    chunks = chunks_of(messages)
    assert len(chunks) == 16  # the simulated provider: one chunk per token, 16 without maxTokens
    assert len(text_of(messages).split(" ")) == 16
    usage = done["usage"]
    assert usage["completionTokens"] == 16
    assert usage["promptTokens"] > 0
    assert usage["totalTokens"] == usage["promptTokens"] + usage["completionTokens"]
    assert done["provider"] == "simulated"
    assert done["fallback"] is False


async def test_max_tokens_limits_the_chunks(relay, user):
    request_id = rid()
    messages = await run(relay, user[1], chat(request_id, "short one", maxTokens=5))
    assert_done(messages, request_id)
    assert len(chunks_of(messages)) == 5
    assert final(messages)["usage"]["completionTokens"] == 5


async def test_same_request_same_text(relay, user):
    first = await run(relay, user[1], chat(rid(), "deterministic please", maxTokens=8))
    second = await run(relay, user[1], chat(rid(), "deterministic please", maxTokens=8))
    assert text_of(first) and text_of(first) == text_of(second)


@pytest.mark.parametrize("provider", ["auto", "openai", "claude"])
async def test_provider_field_is_accepted(relay, user, provider):
    request_id = rid()
    messages = await run(relay, user[1], chat(request_id, provider=provider))
    assert assert_done(messages, request_id)["provider"] == "simulated"


async def test_temperature_is_accepted(relay, user):
    request_id = rid()
    messages = await run(relay, user[1], chat(request_id, temperature=0.2, maxTokens=3))
    assert_done(messages, request_id)


async def test_completion(relay, user):
    request_id = rid()
    messages = await run(relay, user[1], {"id": request_id, "type": "completion", "model": "gpt-4o-mini",
                                          "prompt": "Once upon a time", "maxTokens": 6})
    assert_done(messages, request_id)
    assert len(chunks_of(messages)) == 6


async def test_stream_false_sends_only_done_with_the_text(relay, user):
    streamed = await run(relay, user[1], chat(rid(), "no stream please", maxTokens=7))
    request_id = rid()
    messages = await run(relay, user[1], chat(request_id, "no stream please", maxTokens=7, stream=False))
    assert [m["type"] for m in messages] == ["done"], messages
    assert messages[0]["data"] == text_of(streamed)
    assert messages[0]["usage"]["completionTokens"] == 7


@pytest.mark.parametrize("given", [["alpha", "beta"], "alpha"], ids=["list", "string"])
async def test_embedding(relay, user, given):
    request_id = rid()
    messages = await run(relay, user[1], {"id": request_id, "type": "embedding", "model": "text-embedding-3-small",
                                          "input": given})
    assert_done(messages, request_id)
    vectors = [v for m in messages if m["type"] == "embedding" for v in m["data"]]
    assert len(vectors) == (len(given) if isinstance(given, list) else 1)
    assert all(len(v) == 8 and all(isinstance(x, (int, float)) for x in v) for v in vectors)
    assert vectors[0] != [0.0] * 8
    if isinstance(given, list):
        assert vectors[0] != vectors[1]


async def test_no_credits_is_insufficient_credits(relay, broke_user):
    request_id = rid()
    messages = await run(relay, broke_user[1], chat(request_id))
    assert error_code(messages) == "INSUFFICIENT_CREDITS"
    assert not chunks_of(messages)
    assert final(messages)["error"]["message"]


async def test_free_model_needs_no_credits(relay, broke_user):
    request_id = rid()
    messages = await run(relay, broke_user[1], chat(request_id, model="free-model"))
    assert_done(messages, request_id)


async def test_flaky_model_reports_a_provider_failure(relay, user):
    request_id = rid()
    messages = await run(relay, user[1], chat(request_id, model="flaky-model"))
    assert error_code(messages) in ("ALL_PROVIDERS_FAILED", "PROVIDER_ERROR")
    assert not chunks_of(messages)
