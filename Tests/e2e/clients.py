"""The official SDK clients pointed at the suite's Relay, and raw HTTP for what the SDKs cannot send."""

from __future__ import annotations

import anthropic
import httpx2
import openai

SDK_TIMEOUT = 20.0


def openai_client(relay, token: str, **kwargs) -> openai.OpenAI:
    return openai.OpenAI(base_url=relay.v1, api_key=token, max_retries=0, timeout=SDK_TIMEOUT, **kwargs)


def anthropic_client(relay, **kwargs) -> anthropic.Anthropic:
    """kwargs: api_key=, auth_token= or default_headers= (no /v1 in the base URL: the SDK appends it)."""
    return anthropic.Anthropic(base_url=relay.http, max_retries=0, timeout=SDK_TIMEOUT, **kwargs)


def raw(relay, method: str, path: str, token: str | None = None, **kwargs) -> httpx2.Response:
    """A plain HTTP request to Relay (path from the root, e.g. /v1/chat/completions)."""
    headers = dict(kwargs.pop("headers", {}) or {})
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    with httpx2.Client(base_url=relay.http, timeout=SDK_TIMEOUT) as client:
        return client.request(method, path, headers=headers, **kwargs)


def user_message(content: str = "hello relay") -> list[dict]:
    return [{"role": "user", "content": content}]
