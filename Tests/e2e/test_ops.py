"""Health, readiness, metrics, and the `relay token` command."""

from __future__ import annotations

import time

import jwt

from clients import openai_client, raw, user_message
from harness import new_user_id


def test_healthz(relay):
    response = raw(relay, "GET", "/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_checks_redis_and_postgres(relay):
    response = raw(relay, "GET", "/readyz")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"].get("redis") == "ok", body
    assert body["checks"].get("postgres") == "ok", body


def test_metrics_count_http_requests(relay, oai):
    oai.chat.completions.create(model="gpt-4o-mini", messages=user_message("for the metrics"))
    raw(relay, "GET", "/healthz")
    response = raw(relay, "GET", "/metrics")
    assert response.status_code == 200
    assert "relay_http_requests_total" in response.text


def openai_duration_sum(relay) -> float:
    """relay_http_request_duration_seconds_sum for the OpenAI API (0 before its first request)."""
    for line in raw(relay, "GET", "/metrics").text.splitlines():
        if line.startswith("relay_http_request_duration_seconds_sum") and 'api="openai"' in line:
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_streamed_request_duration_lasts_to_the_last_byte(relay, oai):
    before = openai_duration_sum(relay)
    started = time.monotonic()
    chunks = list(oai.chat.completions.create(model="slow-model", messages=user_message("time me"), max_tokens=6,
                                              stream=True))
    elapsed = time.monotonic() - started
    assert chunks and elapsed >= 0.45, f"6 tokens at 10 a second came back in {elapsed:.2f} s"
    # The headers go out with the first token (~0.1 s); the histogram must cover the whole stream.
    recorded = openai_duration_sum(relay) - before
    assert recorded >= elapsed - 0.15, f"recorded {recorded:.3f} s for a stream of {elapsed:.3f} s"


def test_token_command(relay):
    user = new_user_id("cli")
    before = int(time.time())
    done = relay.cli("token", "--user", user, "--ttl", "120")
    token = done.stdout.strip()
    assert token and "\n" not in token, f"stdout was {done.stdout!r}"
    claims = jwt.decode(token, relay.secret, algorithms=["HS256"])
    assert claims["sub"] == user
    assert before + 110 <= claims["exp"] <= int(time.time()) + 130
    assert "services:use" in claims["permissions"]
    relay.grant(user)
    reply = openai_client(relay, token).chat.completions.create(model="gpt-4o-mini", messages=user_message())
    assert reply.choices[0].message.content


def test_token_command_roles_and_permissions(relay):
    done = relay.cli("token", "--user", "e2e-cli-admin", "--role", "admin", "--role", "ops",
                     "--permission", "services:use", "--permission", "videos:read")
    claims = jwt.decode(done.stdout.strip(), relay.secret, algorithms=["HS256"])
    assert claims["sub"] == "e2e-cli-admin"
    assert sorted(claims["roles"]) == ["admin", "ops"]
    assert {"services:use", "videos:read"} <= set(claims["permissions"])
    assert claims["exp"] > time.time()


def test_token_signed_with_another_secret_does_not_verify(relay):
    env = relay.env(RELAY_JWT_SECRET="q" * 48)
    token = relay.cli("token", "--user", "e2e-cli-other", env=env).stdout.strip()
    assert jwt.decode(token, "q" * 48, algorithms=["HS256"])["sub"] == "e2e-cli-other"
    response = raw(relay, "GET", "/v1/models", token)
    assert response.status_code == 401
