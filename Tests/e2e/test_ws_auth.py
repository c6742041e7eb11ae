"""WebSocket upgrade: a JWT in the Authorization header or ?token=; 401 before the upgrade, 403 without services:use."""

from __future__ import annotations

import pytest
from websockets.exceptions import InvalidStatus

from wsclient import Session, assert_done, chat, rid, ws_connect


async def upgrade_status(relay, token, **kwargs) -> int:
    with pytest.raises(InvalidStatus) as refused:
        async with ws_connect(relay, token, **kwargs):
            pass
    return refused.value.response.status_code


async def one_chat(relay, token, **kwargs) -> dict:
    async with ws_connect(relay, token, **kwargs) as ws:
        session = Session(ws)
        request_id = rid()
        await session.send(chat(request_id))
        return assert_done(await session.until_final(request_id), request_id)


async def test_token_in_header(relay, user):
    done = await one_chat(relay, user[1])
    assert done["usage"]["completionTokens"] == 16


async def test_token_in_query(relay, user):
    done = await one_chat(relay, user[1], query=True)
    assert done["usage"]["completionTokens"] == 16


async def test_missing_token_is_401(relay):
    assert await upgrade_status(relay, None) == 401


@pytest.mark.parametrize("query", [False, True], ids=["header", "query"])
async def test_garbage_token_is_401(relay, query):
    assert await upgrade_status(relay, "not.a.jwt", query=query) == 401


async def test_expired_token_is_401(relay):
    token = relay.token("e2e-expired", ttl=-120)
    assert await upgrade_status(relay, token) == 401


async def test_wrong_signature_is_401(relay):
    token = relay.token("e2e-forged", secret="x" * 48)
    assert await upgrade_status(relay, token) == 401


async def test_wrong_signature_in_query_is_401(relay):
    token = relay.token("e2e-forged", secret="y" * 48)
    assert await upgrade_status(relay, token, query=True) == 401


async def test_without_services_use_is_403(relay):
    token = relay.token("e2e-noperm", permissions=["videos:read"])
    assert await upgrade_status(relay, token) == 403


async def test_admin_role_without_permission_is_allowed(relay):
    user, token = relay.user("admin", roles=["admin"], permissions=[])
    done = await one_chat(relay, token)
    assert done["type"] == "done"
