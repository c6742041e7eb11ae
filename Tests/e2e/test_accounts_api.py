"""Relay's accounts API (`/api/me/…` for any token, `/api/admin/…` for the admin role) on the session's relay dev."""

from __future__ import annotations

import time

import pytest

from clients import openai_client, raw, user_message
from harness import new_user_id

GPT_4O_MINI = (0.15, 0.6)  # credits per 1,000 input / output tokens (Tests/e2e/workers.yml)
USAGE_ROW_KEYS = {"key", "requests", "failed", "promptTokens", "completionTokens", "credits", "fallbacks",
                  "averageLatencyMs"}


def is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def get(relay, path: str, token: str | None):
    response = raw(relay, "GET", path, token)
    return response


def ok_json(response, status: int = 200):
    assert response.status_code == status, f"{response.request.method} {response.request.url}: " \
                                           f"{response.status_code} {response.text}"
    return response.json()


def assert_error(response, status: int, code: str) -> None:
    assert response.status_code == status, f"{response.request.method} {response.request.url}: " \
                                           f"{response.status_code} {response.text} (expected {status} {code})"
    body = response.json()
    assert body["error"]["code"] == code, body
    assert isinstance(body["error"].get("message"), str) and body["error"]["message"], body


def assert_balance(body: dict, user: str) -> None:
    assert body["userId"] == user, body
    assert is_number(body["available"]) and is_number(body["reserved"]), body


def settled(relay, user: str, token: str, below: float, timeout: float = 15.0) -> dict:
    """The balance once it is below `below` with no reservation open (settles land after the reply)."""
    deadline = time.monotonic() + timeout
    while True:
        body = ok_json(get(relay, "/api/me/balance", token))
        if (body["reserved"] == 0 and body["available"] < below) or time.monotonic() > deadline:
            return body
        time.sleep(0.3)


@pytest.fixture
def admin(relay):
    return relay.token(new_user_id("admin"), roles=["admin"])


def test_me_balance_and_limits(relay, user):
    user_id, token = user
    body = ok_json(get(relay, "/api/me/balance", token))
    assert_balance(body, user_id)
    assert body["available"] == 100 and body["reserved"] == 0, body
    assert ok_json(get(relay, "/api/me/limits", token)) == {"rpm": None, "tpm": None}


def test_me_balance_drops_by_the_settled_amount(relay, user, oai):
    user_id, token = user
    reply = oai.chat.completions.create(model="gpt-4o-mini", messages=user_message("bill me via the api"),
                                        max_tokens=8)
    cost = (reply.usage.prompt_tokens * GPT_4O_MINI[0] + reply.usage.completion_tokens * GPT_4O_MINI[1]) / 1000
    body = settled(relay, user_id, token, below=100)
    assert_balance(body, user_id)
    assert body["reserved"] == 0, f"reservation still open 15 s after the reply: {body}"
    assert body["available"] == pytest.approx(100 - cost, abs=1e-6), f"{body} after a request costing {cost}"


def test_me_usage_by_model(relay, user, oai):
    user_id, token = user
    reply = oai.chat.completions.create(model="gpt-4o-mini", messages=user_message("usage please"), max_tokens=5)
    deadline = time.monotonic() + 15
    while True:
        body = ok_json(get(relay, "/api/me/usage?by=model", token))
        # The key is the model, which the ledger writes as provider/model ("simulated/gpt-4o-mini").
        rows = [row for row in body.get("rows", []) if str(row.get("key")).split("/")[-1] == "gpt-4o-mini"]
        if rows or time.monotonic() > deadline:
            break
        time.sleep(0.3)
    assert set(body) >= {"by", "user", "totalCredits", "rows"}, body
    assert body["by"] == "model" and body["user"] == user_id, body
    assert len(rows) == 1 and len(body["rows"]) == 1, body
    row = rows[0]
    assert row["key"] in ("gpt-4o-mini", "simulated/gpt-4o-mini"), row
    assert set(row) >= USAGE_ROW_KEYS, row
    assert row["requests"] == 1 and row["failed"] == 0 and row["fallbacks"] == 0, row
    assert row["promptTokens"] == reply.usage.prompt_tokens, row
    assert row["completionTokens"] == reply.usage.completion_tokens, row
    cost = (reply.usage.prompt_tokens * GPT_4O_MINI[0] + reply.usage.completion_tokens * GPT_4O_MINI[1]) / 1000
    assert row["credits"] == pytest.approx(cost, abs=1e-6), row
    assert is_number(row["averageLatencyMs"]) and row["averageLatencyMs"] >= 0, row
    assert body["totalCredits"] == pytest.approx(sum(r["credits"] for r in body["rows"]), abs=1e-6), body


def test_admin_reads_a_user_and_adjusts_credits(relay, user, admin):
    user_id, token = user
    body = ok_json(get(relay, f"/api/admin/users/{user_id}", admin))
    assert_balance(body, user_id)
    assert body["available"] == 100, body
    assert body["limits"] == {"rpm": None, "tpm": None}, body

    granted = ok_json(raw(relay, "POST", f"/api/admin/users/{user_id}/credits", admin,
                          json={"amount": 5, "note": "e2e grant"}))
    assert_balance(granted, user_id)
    assert granted["available"] == pytest.approx(105), granted
    lowered = ok_json(raw(relay, "POST", f"/api/admin/users/{user_id}/credits", admin,
                          json={"amount": -2.5, "note": "e2e adjust down"}))
    assert lowered["available"] == pytest.approx(102.5), lowered
    assert ok_json(get(relay, "/api/me/balance", token))["available"] == pytest.approx(102.5)


def test_admin_sets_limits_the_user_sees(relay, user, admin):
    user_id, token = user
    ok_json(raw(relay, "PUT", f"/api/admin/users/{user_id}/limits", admin, json={"rpm": 7}))
    assert ok_json(get(relay, "/api/me/limits", token)) == {"rpm": 7, "tpm": None}
    assert ok_json(get(relay, f"/api/admin/users/{user_id}", admin))["limits"] == {"rpm": 7, "tpm": None}


def test_admin_adds_an_alert_rule(relay, user, admin):
    response = raw(relay, "POST", f"/api/admin/users/{user[0]}/alerts", admin,
                   json={"kind": "balance_below", "threshold": 1})
    body = ok_json(response, 201)
    assert body.get("id") not in (None, ""), body


def test_admin_usage_by_user(relay, user, oai, admin):
    oai.chat.completions.create(model="gpt-4o-mini", messages=user_message("top users"), max_tokens=5)
    deadline = time.monotonic() + 15
    while True:
        body = ok_json(get(relay, "/api/admin/usage?by=user&limit=5", admin))
        if body.get("rows") or time.monotonic() > deadline:
            break
        time.sleep(0.3)
    assert body["by"] == "user", body
    assert 1 <= len(body["rows"]) <= 5, body
    for row in body["rows"]:
        assert set(row) >= USAGE_ROW_KEYS, row
    credits = [row["credits"] for row in body["rows"]]
    assert credits == sorted(credits, reverse=True), f"not top users first: {credits}"


def test_admin_routes_need_the_admin_role(relay, user):
    user_id, token = user  # roles ["user"]
    calls = [("GET", f"/api/admin/users/{user_id}", None),
             ("POST", f"/api/admin/users/{user_id}/credits", {"amount": 5}),
             ("PUT", f"/api/admin/users/{user_id}/limits", {"rpm": 1000}),
             ("POST", f"/api/admin/users/{user_id}/alerts", {"kind": "balance_below", "threshold": 1}),
             ("GET", "/api/admin/usage?by=user", None)]
    for method, path, body in calls:
        assert_error(raw(relay, method, path, token, json=body), 403, "FORBIDDEN")
    assert ok_json(get(relay, "/api/me/balance", token))["available"] == 100  # the refused grant did nothing
    assert ok_json(get(relay, "/api/me/limits", token)) == {"rpm": None, "tpm": None}


def test_no_token_is_unauthorized(relay):
    for method, path, body in [("GET", "/api/me/balance", None), ("GET", "/api/me/usage?by=model", None),
                               ("GET", "/api/me/limits", None), ("GET", "/api/admin/users/someone", None),
                               ("POST", "/api/admin/users/someone/credits", {"amount": 5})]:
        assert_error(raw(relay, method, path, None, json=body), 401, "UNAUTHORIZED")
    assert_error(get(relay, "/api/me/balance", "not-a-jwt"), 401, "UNAUTHORIZED")


@pytest.mark.parametrize("body", [{"amount": "lots"}, {}, {"note": "no amount"}, {"amount": None}],
                         ids=["text", "empty", "missing", "null"])
def test_bad_amount_is_invalid_request(relay, user, admin, body):
    assert_error(raw(relay, "POST", f"/api/admin/users/{user[0]}/credits", admin, json=body), 400, "INVALID_REQUEST")
    assert ok_json(get(relay, "/api/me/balance", user[1]))["available"] == 100


def test_admin_sets_a_users_concurrency_and_sees_their_jobs(relay, user, oai, admin):
    user_id, _ = user
    body = ok_json(raw(relay, "PUT", f"/api/admin/users/{user_id}/concurrency", admin,
                       json={"concurrency": 2, "pool": "interactive"}))
    assert body["pools"]["interactive"]["concurrency"] == 2 and body["pools"]["interactive"]["override"], body
    oai.chat.completions.create(model="gpt-4o-mini", messages=user_message(), max_tokens=2)
    pools = ok_json(get(relay, f"/api/admin/users/{user_id}/pools", admin))["pools"]
    assert pools["interactive"]["user"] == user_id and pools["interactive"]["active"] == 0, pools
    listed = ok_json(get(relay, "/api/admin/users", admin))["pools"]["interactive"]
    assert any(row["user"] == user_id and row["concurrency"] == 2 for row in listed), listed
    cleared = ok_json(raw(relay, "PUT", f"/api/admin/users/{user_id}/concurrency", admin, json={"concurrency": None}))
    assert all(not pool["override"] for pool in cleared["pools"].values()), cleared
    assert_error(raw(relay, "PUT", f"/api/admin/users/{user_id}/concurrency", admin,
                     json={"concurrency": 2, "pool": "nope"}), 404, "NOT_FOUND")
    assert_error(raw(relay, "PUT", f"/api/admin/users/{user_id}/concurrency", user[1], json={"concurrency": 2}),
                 403, "FORBIDDEN")
