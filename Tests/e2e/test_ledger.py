"""Requests are billed in the ledger: the price of the usage reported, and no reservation left behind."""

from __future__ import annotations

import asyncio
import time
from decimal import Decimal

from clients import user_message
from wsclient import Session, chat, error_code, rid, ws_connect

GPT_4O_MINI = (Decimal("0.15"), Decimal("0.6"))  # credits per 1,000 input / output tokens (Tests/e2e/workers.yml)


def settled_balance(relay, user: str, timeout: float = 15.0) -> dict[str, str]:
    """The balance once no reservation is open (polls: settles and refunds may land after the reply)."""
    deadline = time.monotonic() + timeout
    while True:
        balance = relay.balance(user)
        if Decimal(balance["reserved"]) == 0 or time.monotonic() > deadline:
            return balance
        time.sleep(0.3)


def test_priced_request_is_charged_its_usage(relay, oai, user):
    reply = oai.chat.completions.create(model="gpt-4o-mini", messages=user_message("bill me"))
    cost = (reply.usage.prompt_tokens * GPT_4O_MINI[0] + reply.usage.completion_tokens * GPT_4O_MINI[1]) / 1000
    deadline = time.monotonic() + 15
    while True:
        balance = settled_balance(relay, user[0])
        if Decimal(balance["available"]) < 100 or time.monotonic() > deadline:
            break
        time.sleep(0.3)
    assert Decimal(balance["reserved"]) == 0, balance
    assert Decimal(balance["available"]) == 100 - cost, f"{balance} after a request costing {cost}"
    assert balance.get("ledger") == "consistent", balance


async def test_cancelled_request_leaves_no_reservation(relay, user):
    async with ws_connect(relay, user[1]) as ws:
        session = Session(ws)
        request_id = rid("refund")
        await session.send(chat(request_id, "cancel and refund", model="slow-model", maxTokens=60))
        first = await session.next_for(request_id)
        assert first["type"] == "chunk", first
        await session.send({"type": "cancel", "id": request_id})
        assert error_code(await session.until_final(request_id)) == "CANCELLED"
    balance = await asyncio.to_thread(settled_balance, relay, user[0])
    assert Decimal(balance["reserved"]) == 0, f"reservation still open 15 s after the cancel: {balance}"
    assert Decimal(balance["available"]) <= 100
