"""Per-user rate limits (GCRA in Redis) are one budget for every ingress process.

The session's `relay dev` is one ingress (and the workers); a second `relay serve` shares its Redis, Postgres, secret
and workers.yml (so its jobs go to the same queues). Limits are set with `relay users set-rate`.
"""

from __future__ import annotations

import asyncio
import itertools
import time

import anthropic
import openai
import pytest

from clients import anthropic_client, openai_client, raw, user_message
from harness import Endpoint, Processes
from wsclient import Session, chat, error_code, final, rid, ws_connect


@pytest.fixture
def second_ingress(relay, tmp_path, request):
    """`relay serve` beside the session's relay dev, with everything shared: an Endpoint for the clients."""
    config = relay.workdir / "workers.yml"  # the session's copy, with its queue names
    assert config.exists(), config
    with Processes(tmp_path) as procs:
        _, port = procs.relay_serve(relay.binary, config, relay.env(), "relay-serve-2",
                                    extra=["--spool", str(tmp_path / "spool")])
        yield Endpoint(port)
        report = getattr(request.node, "rep_call", None)
        if report is not None and report.failed:
            procs.print_logs()


def set_rate(relay, user: str, *options: str) -> str:
    done = relay.cli("users", "set-rate", user, *options, "--redis", relay.redis_url)
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 1, f"set-rate printed {done.stdout!r}"
    return lines[0]


def retry_after_of(error: openai.APIStatusError | anthropic.APIStatusError) -> int:
    value = error.response.headers.get("retry-after")
    assert value is not None, f"429 without retry-after: {dict(error.response.headers)}"
    assert value.isdigit() and 1 <= int(value) <= 60, f"retry-after {value!r} is not whole seconds from 1 to 60"
    return int(value)


def assert_openai_rate_limited(error: openai.APIStatusError, retry_after: bool = True) -> None:
    assert error.status_code == 429, (error.status_code, error.response.text)
    body = error.response.json()
    assert body["error"]["code"] == "rate_limit_exceeded", body
    if retry_after:
        retry_after_of(error)


@pytest.mark.deadline(45)
def test_rpm_is_one_budget_across_two_ingresses(relay, second_ingress):
    user, token = relay.user("rpm")
    line = set_rate(relay, user, "--rpm", "10")
    assert user in line or "10" in line, line
    clients = [openai_client(relay, token), openai_client(second_ingress, token)]

    outcomes = []
    started = time.monotonic()
    for n, client in zip(range(30), itertools.cycle(clients)):
        try:
            reply = client.chat.completions.create(model="gpt-4o-mini", messages=user_message(f"rpm {n}"), max_tokens=3)
            assert reply.choices[0].message.content
            outcomes.append(("ok", n % 2))
        except openai.APIStatusError as error:
            assert_openai_rate_limited(error)
            outcomes.append(("429", n % 2))
    elapsed = time.monotonic() - started
    succeeded = [o for o in outcomes if o[0] == "ok"]
    # A budget of 10 a minute, bursting up to the whole minute; one more request is earned every 6 s.
    allowed = 10 + int(elapsed // 6)
    assert 10 <= len(succeeded) <= allowed, f"{len(succeeded)} of 30 succeeded with --rpm 10 in {elapsed:.1f} s: " \
                                            f"{outcomes}"
    assert {side for _, side in succeeded} == {0, 1}, f"successes on one ingress only: {outcomes}"
    assert [o[0] for o in outcomes[:10]] == ["ok"] * 10, f"the first 10 (the whole minute's burst): {outcomes}"

    # The same budget refuses the WebSocket and the Anthropic API, on either ingress.
    async def over_ws(endpoint):
        async with ws_connect(endpoint, token) as ws:
            session = Session(ws)
            request_id = rid("rl")
            await session.send(chat(request_id, "over the limit", maxTokens=3))
            return await session.until_final(request_id)

    for endpoint in (relay, second_ingress):
        messages = asyncio.run(over_ws(endpoint))
        assert error_code(messages) == "RATE_LIMIT_EXCEEDED", messages
        assert final(messages)["error"]["message"], messages
        with pytest.raises(anthropic.APIStatusError) as caught:
            anthropic_client(endpoint, api_key=token).messages.create(
                model="claude-sonnet-4", max_tokens=3, messages=user_message("over the limit"))
        assert caught.value.status_code == 429, caught.value.response.text
        assert caught.value.response.json()["error"]["type"] == "rate_limit_error", caught.value.response.text
        retry_after_of(caught.value)

    # No options: the override is gone, and with no default limit the user is free again.
    set_rate(relay, user)
    for client in clients:
        for n in range(3):
            reply = client.chat.completions.create(model="gpt-4o-mini", messages=user_message(f"free {n}"), max_tokens=3)
            assert reply.choices[0].message.content


@pytest.mark.deadline(30)
def test_tpm_counts_prompt_estimate_plus_max_tokens(relay, second_ingress):
    user, token = relay.user("tpm")
    set_rate(relay, user, "--tpm", "100")
    messages = user_message("hi")  # a few tokens at one per four bytes, plus max_tokens 60: fits once in 100
    first = openai_client(relay, token).chat.completions.create(model="gpt-4o-mini", messages=messages, max_tokens=60)
    assert first.choices[0].message.content
    with pytest.raises(openai.APIStatusError) as caught:
        openai_client(second_ingress, token).chat.completions.create(model="gpt-4o-mini", messages=messages,
                                                                     max_tokens=60)
    assert_openai_rate_limited(caught.value)


@pytest.mark.deadline(30)
def test_tpm_refuses_a_request_larger_than_the_budget(relay):
    user, token = relay.user("tpmbig")
    set_rate(relay, user, "--tpm", "100")
    with pytest.raises(openai.APIStatusError) as caught:
        openai_client(relay, token).chat.completions.create(model="gpt-4o-mini", messages=user_message("hi"),
                                                            max_tokens=200)
    assert_openai_rate_limited(caught.value, retry_after=False)  # waiting cannot help: no retry-after required
    # Without max_tokens a request counts 1,024 tokens: refused as well.
    with pytest.raises(openai.APIStatusError) as caught:
        openai_client(relay, token).chat.completions.create(model="gpt-4o-mini", messages=user_message("hi"))
    assert_openai_rate_limited(caught.value, retry_after=False)
    # A small one still fits: the refused ones took nothing from the budget.
    reply = openai_client(relay, token).chat.completions.create(model="gpt-4o-mini", messages=user_message("hi"),
                                                                max_tokens=60)
    assert reply.choices[0].message.content


@pytest.mark.deadline(30)
def test_limits_set_through_the_admin_api_apply_on_the_other_ingress(relay, second_ingress):
    user, token = relay.user("rpmapi")
    admin = relay.token("e2e-admin-limits", roles=["admin"])
    response = raw(relay, "PUT", f"/api/admin/users/{user}/limits", admin, json={"rpm": 3})
    assert response.status_code == 200, response.text
    client = openai_client(second_ingress, token)
    outcomes = []
    for n in range(6):
        try:
            client.chat.completions.create(model="gpt-4o-mini", messages=user_message(f"api rpm {n}"), max_tokens=3)
            outcomes.append("ok")
        except openai.APIStatusError as error:
            assert_openai_rate_limited(error)
            outcomes.append("429")
    assert outcomes == ["ok"] * 3 + ["429"] * 3, outcomes
