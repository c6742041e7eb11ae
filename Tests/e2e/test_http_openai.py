"""The OpenAI-compatible HTTP API, driven by the official openai SDK (and raw HTTP where the SDK cannot go)."""

from __future__ import annotations

import base64
import struct

import openai
import pytest

from clients import openai_client, raw, user_message


def test_chat_completion(oai):
    reply = oai.chat.completions.create(model="gpt-4o-mini", messages=user_message("hi there"))
    assert reply.object == "chat.completion"
    assert reply.model == "gpt-4o-mini"
    assert reply.id
    choice = reply.choices[0]
    assert choice.message.role == "assistant"
    assert choice.message.content and len(choice.message.content.split(" ")) == 16
    assert choice.finish_reason == "stop"
    assert reply.usage.completion_tokens == 16
    assert reply.usage.prompt_tokens > 0
    assert reply.usage.total_tokens == reply.usage.prompt_tokens + reply.usage.completion_tokens


def test_chat_max_tokens_gives_length(oai):
    reply = oai.chat.completions.create(model="gpt-4o-mini", messages=user_message("short"), max_tokens=4)
    assert reply.choices[0].finish_reason == "length"
    assert reply.usage.completion_tokens == 4
    assert len(reply.choices[0].message.content.split(" ")) == 4


def test_streaming_matches_non_streaming_and_ends_with_usage(oai):
    messages = user_message("stream me")
    whole = oai.chat.completions.create(model="gpt-4o-mini", messages=messages)
    chunks = list(oai.chat.completions.create(model="gpt-4o-mini", messages=messages, stream=True,
                                              stream_options={"include_usage": True}))
    assert chunks, "no chunks"
    assert all(c.object == "chat.completion.chunk" for c in chunks)
    assert len({c.id for c in chunks}) == 1
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == whole.choices[0].message.content
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert finishes == ["stop"]
    last = chunks[-1]
    assert last.choices == [] and last.usage is not None
    assert last.usage.completion_tokens == 16
    assert all(c.usage is None for c in chunks[:-1])


def test_streaming_without_include_usage_has_no_usage_chunk(oai):
    chunks = list(oai.chat.completions.create(model="gpt-4o-mini", messages=user_message("no usage"), stream=True))
    assert chunks
    assert all(c.choices for c in chunks), "a chunk without choices (usage chunk) was sent"
    assert all(c.usage is None for c in chunks)


def test_stream_helper(oai):
    messages = user_message("helper")
    whole = oai.chat.completions.create(model="gpt-4o-mini", messages=messages)
    if not hasattr(oai.chat.completions, "stream"):
        pytest.skip("this openai SDK has no chat.completions.stream helper")
    with oai.chat.completions.stream(model="gpt-4o-mini", messages=messages) as stream:
        for _ in stream:
            pass
        final = stream.get_final_completion()
    assert final.choices[0].message.content == whole.choices[0].message.content


@pytest.mark.parametrize("stream", [False, True], ids=["whole", "stream"])
def test_legacy_completion(oai, stream):
    if stream:
        chunks = list(oai.completions.create(model="gpt-4o-mini", prompt="Once upon a time", max_tokens=6,
                                             stream=True))
        text = "".join(c.choices[0].text for c in chunks if c.choices)
    else:
        reply = oai.completions.create(model="gpt-4o-mini", prompt="Once upon a time", max_tokens=6)
        assert reply.object == "text_completion"
        assert reply.choices[0].finish_reason == "length"
        assert reply.usage.completion_tokens == 6
        text = reply.choices[0].text
    assert len(text.split(" ")) == 6


def test_embeddings_float(oai):
    reply = oai.embeddings.create(model="text-embedding-3-small", input=["a", "b"], encoding_format="float")
    assert [d.index for d in reply.data] == [0, 1]
    assert all(len(d.embedding) == 8 for d in reply.data)
    assert reply.data[0].embedding != reply.data[1].embedding
    assert reply.usage.prompt_tokens > 0


def test_embeddings_base64_decodes_to_the_float_vectors(oai, relay, user):
    floats = oai.embeddings.create(model="text-embedding-3-small", input=["a", "b"], encoding_format="float")
    encoded = oai.embeddings.create(model="text-embedding-3-small", input=["a", "b"], encoding_format="base64")
    for as_float, as_b64 in zip(floats.data, encoded.data):
        assert isinstance(as_b64.embedding, str), f"expected a base64 string, got {type(as_b64.embedding)}"
        vector = struct.unpack("<8f", base64.b64decode(as_b64.embedding))
        assert vector == pytest.approx(as_float.embedding, abs=1e-6)


def test_embeddings_sdk_default(oai):
    reply = oai.embeddings.create(model="text-embedding-3-small", input="just one")
    assert len(reply.data) == 1 and len(reply.data[0].embedding) == 8


def test_models_list(oai):
    ids = [m.id for m in oai.models.list()]
    assert "gpt-4o-mini" in ids
    assert "text-embedding-3-small" in ids


# ----------------------------------------------------------------------------------------------------------------------
# errors


def assert_openai_error_body(response) -> dict:
    body = response.json()
    assert set(body) == {"error"}, body
    assert {"message", "type", "param", "code"} <= set(body["error"]), body
    assert body["error"]["message"]
    return body["error"]


def test_bad_key_is_authentication_error(relay):
    with pytest.raises(openai.AuthenticationError) as err:
        openai_client(relay, "not-a-token").chat.completions.create(model="gpt-4o-mini", messages=user_message())
    assert err.value.status_code == 401
    assert_openai_error_body(err.value.response)


def test_forged_token_is_authentication_error(relay):
    token = relay.token("e2e-forged", secret="z" * 48)
    with pytest.raises(openai.AuthenticationError):
        openai_client(relay, token).models.list()


def test_expired_token_is_authentication_error(relay):
    with pytest.raises(openai.AuthenticationError):
        openai_client(relay, relay.token("e2e-old", ttl=-60)).chat.completions.create(
            model="gpt-4o-mini", messages=user_message())


def test_without_services_use_is_permission_denied(relay):
    token = relay.token("e2e-noperm", permissions=["videos:read"])
    with pytest.raises(openai.PermissionDeniedError) as err:
        openai_client(relay, token).chat.completions.create(model="gpt-4o-mini", messages=user_message())
    assert err.value.status_code == 403


def test_unknown_model_is_not_found(oai):
    with pytest.raises(openai.NotFoundError) as err:
        oai.chat.completions.create(model="no-such-model", messages=user_message())
    assert err.value.code == "model_not_found"
    assert_openai_error_body(err.value.response)


def test_missing_messages_is_bad_request(oai):
    with pytest.raises(openai.BadRequestError) as err:
        oai.post("/chat/completions", body={"model": "gpt-4o-mini"}, cast_to=object)
    error = assert_openai_error_body(err.value.response)
    assert error["type"] == "invalid_request_error"


def test_body_that_is_not_json_is_bad_request(relay, user):
    response = raw(relay, "POST", "/v1/chat/completions", user[1], content=b"{not json",
                   headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert_openai_error_body(response)


def test_no_credits_is_insufficient_quota(relay, broke_user):
    with pytest.raises(openai.RateLimitError) as err:
        openai_client(relay, broke_user[1]).chat.completions.create(model="gpt-4o-mini", messages=user_message())
    assert err.value.status_code == 429
    assert err.value.code == "insufficient_quota"
    assert err.value.response.headers.get("x-should-retry") == "false"
    assert_openai_error_body(err.value.response)


def test_failing_provider_is_a_server_error(oai):
    with pytest.raises(openai.APIStatusError) as err:
        oai.chat.completions.create(model="flaky-model", messages=user_message())
    assert err.value.status_code >= 500
    assert_openai_error_body(err.value.response)


def test_failing_provider_while_streaming_is_an_error(oai):
    with pytest.raises(openai.APIError):  # a 5xx before the stream, or an error event in it
        for _ in oai.chat.completions.create(model="flaky-model", messages=user_message(), stream=True):
            pass


def test_oversized_body_is_413(relay, user):
    body = b'{"model":"gpt-4o-mini","messages":[{"role":"user","content":"' + b"x" * (4 * 1024 * 1024 + 1024) + b'"}]}'
    try:
        response = raw(relay, "POST", "/v1/chat/completions", user[1], content=body,
                       headers={"content-type": "application/json"})
    except Exception as error:  # noqa: BLE001
        pytest.fail(f"no HTTP response to a 4 MiB body: {error!r}")
    assert response.status_code == 413
