"""The Anthropic-compatible Messages API, driven by the official anthropic SDK."""

from __future__ import annotations

import anthropic
import pytest

from clients import anthropic_client, raw, user_message


def test_message(claude):
    reply = claude.messages.create(model="claude-sonnet-4", max_tokens=32, messages=user_message("hello claude"))
    assert reply.type == "message" and reply.role == "assistant"
    assert reply.model == "claude-sonnet-4"
    assert reply.content[0].type == "text"
    assert len(reply.content[0].text.split(" ")) == 32
    assert reply.stop_reason == "max_tokens"
    assert reply.usage.output_tokens == 32
    assert reply.usage.input_tokens > 0


def test_stream_matches_create(claude):
    messages = user_message("stream for claude")
    whole = claude.messages.create(model="claude-sonnet-4", max_tokens=12, messages=messages)
    with claude.messages.stream(model="claude-sonnet-4", max_tokens=12, messages=messages) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert text == whole.content[0].text
    assert final.content[0].text == text
    assert final.stop_reason == "max_tokens"
    assert final.usage.output_tokens == 12


def test_raw_stream_event_order(relay, user):
    response = raw(relay, "POST", "/v1/messages", user[1], json={
        "model": "claude-sonnet-4", "max_tokens": 3, "stream": True, "messages": user_message("events")},
        headers={"anthropic-version": "2023-06-01"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    events = [line.split(":", 1)[1].strip() for line in response.text.splitlines() if line.startswith("event:")]
    events = [e for e in events if e != "ping"]
    assert events[0] == "message_start" and events[-1] == "message_stop", events
    assert events.count("content_block_delta") == 3
    assert "content_block_start" in events and "message_delta" in events


def test_x_api_key_header(relay, user):
    client = anthropic_client(relay, default_headers={"x-api-key": user[1]})
    reply = client.messages.create(model="claude-sonnet-4", max_tokens=4, messages=user_message())
    assert reply.usage.output_tokens == 4


def test_x_api_key_alone_over_raw_http(relay, user):
    response = raw(relay, "POST", "/v1/messages", json={
        "model": "claude-sonnet-4", "max_tokens": 4, "messages": user_message()},
        headers={"x-api-key": user[1], "anthropic-version": "2023-06-01"})
    assert response.status_code == 200, response.text
    assert response.json()["type"] == "message"


def test_auth_token_bearer(relay, user):
    client = anthropic_client(relay, auth_token=user[1])
    reply = client.messages.create(model="claude-sonnet-4", max_tokens=4, messages=user_message())
    assert reply.usage.output_tokens == 4


def assert_anthropic_error_body(response, error_type: str) -> None:
    body = response.json()
    assert body["type"] == "error", body
    assert body["error"]["type"] == error_type, body
    assert body["error"]["message"]


def test_bad_key_is_authentication_error(relay):
    with pytest.raises(anthropic.AuthenticationError) as err:
        anthropic_client(relay, api_key="nope").messages.create(model="claude-sonnet-4", max_tokens=4,
                                                                 messages=user_message())
    assert_anthropic_error_body(err.value.response, "authentication_error")


def test_bad_x_api_key_is_authentication_error(relay):
    with pytest.raises(anthropic.AuthenticationError):
        anthropic_client(relay, default_headers={"x-api-key": "nope"}).messages.create(
            model="claude-sonnet-4", max_tokens=4, messages=user_message())


def test_without_services_use_is_permission_error(relay):
    token = relay.token("e2e-noperm", permissions=["videos:read"])
    with pytest.raises(anthropic.PermissionDeniedError) as err:
        anthropic_client(relay, api_key=token).messages.create(model="claude-sonnet-4", max_tokens=4,
                                                                messages=user_message())
    assert_anthropic_error_body(err.value.response, "permission_error")


def test_unknown_model_is_not_found(claude):
    with pytest.raises(anthropic.NotFoundError) as err:
        claude.messages.create(model="claude-nonexistent", max_tokens=4, messages=user_message())
    assert_anthropic_error_body(err.value.response, "not_found_error")


def test_missing_max_tokens_is_bad_request(relay, user):
    response = raw(relay, "POST", "/v1/messages", user[1], json={"model": "claude-sonnet-4",
                                                                  "messages": user_message()})
    assert response.status_code == 400
    assert_anthropic_error_body(response, "invalid_request_error")


def test_no_credits_is_402(relay, broke_user):
    with pytest.raises(anthropic.APIStatusError) as err:
        anthropic_client(relay, api_key=broke_user[1]).messages.create(model="claude-sonnet-4", max_tokens=4,
                                                                        messages=user_message())
    assert err.value.status_code == 402
    assert_anthropic_error_body(err.value.response, "billing_error")
