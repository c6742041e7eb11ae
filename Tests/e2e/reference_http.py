"""HTTP half of reference_relay.py: the OpenAI and Anthropic APIs, health and metrics, as a bare ASGI handler."""

from __future__ import annotations

import base64
import json
import struct
import time
import uuid

from reference_relay import MAX_BODY, MODELS, Failure, Job, verify

STATUS = {"UNAUTHORIZED": 401, "FORBIDDEN": 403, "INVALID_REQUEST": 400, "NOT_FOUND": 404,
          "INSUFFICIENT_CREDITS": 429, "ALL_PROVIDERS_FAILED": 502, "PROVIDER_ERROR": 502, "CANCELLED": 499}
ANTHROPIC_TYPES = {401: "authentication_error", 403: "permission_error", 400: "invalid_request_error",
                   404: "not_found_error", 402: "billing_error", 413: "request_too_large", 502: "api_error"}


async def respond(send, status: int, body, headers=(), content_type=b"application/json") -> None:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", content_type), *headers]})
    await send({"type": "http.response.body", "body": data})


def openai_error(status: int, code: str | None, message: str) -> dict:
    kind = {401: "invalid_request_error", 429: "insufficient_quota"}.get(status, "invalid_request_error")
    if status >= 500:
        kind = "server_error"
    return {"error": {"message": message, "type": kind, "param": None, "code": code}}


async def handle_http(app, scope, receive, send) -> None:
    path, method = scope["path"], scope["method"]
    body = b""
    while True:
        event = await receive()
        body += event.get("body", b"")
        if len(body) > MAX_BODY:
            return await respond(send, 413, openai_error(413, "request_too_large", "body over 4 MiB"))
        if not event.get("more_body"):
            break
    if path == "/healthz":
        return await respond(send, 200, {"status": "ok"})
    if path == "/readyz":
        return await respond(send, 200, {"status": "ok", "checks": {"redis": "ok", "postgres": "ok"}})
    if path == "/metrics":
        text = f"# TYPE relay_http_requests_total counter\nrelay_http_requests_total {app.requests}\n"
        return await respond(send, 200, text.encode(), content_type=b"text/plain; version=0.0.4")
    anthropic = path == "/v1/messages"
    headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
    token = headers.get("x-api-key")
    if headers.get("authorization", "").lower().startswith("bearer "):
        token = headers["authorization"][7:]
    try:
        user = verify(app.secret, token)["sub"]
        if path == "/v1/models" and method == "GET":
            return await respond(send, 200, {"object": "list", "data": [
                {"id": m, "object": "model", "created": 0, "owned_by": "relay"} for m in MODELS]})
        try:
            payload = json.loads(body or b"null")
        except ValueError:
            raise Failure("INVALID_REQUEST", "the body is not JSON") from None
        if not isinstance(payload, dict):
            raise Failure("INVALID_REQUEST", "the body is not a JSON object")
        if isinstance(payload.get("model"), str) and payload["model"] not in MODELS:
            raise Failure("NOT_FOUND", f"The model '{payload['model']}' does not exist")
        if path == "/v1/chat/completions":
            return await chat(app, user, payload, send)
        if path == "/v1/completions":
            return await completion(app, user, payload, send)
        if path == "/v1/embeddings":
            return await embeddings(app, user, payload, send)
        if anthropic:
            return await messages(app, user, payload, send)
        return await respond(send, 404, openai_error(404, None, "no such route"))
    except Failure as failure:
        status = STATUS.get(failure.code, 500)
        if anthropic:
            status = 402 if failure.code == "INSUFFICIENT_CREDITS" else status
            return await respond(send, status, {"type": "error", "error": {
                "type": ANTHROPIC_TYPES.get(status, "api_error"), "message": failure.message}})
        code = {"INSUFFICIENT_CREDITS": "insufficient_quota", "NOT_FOUND": "model_not_found"}.get(failure.code)
        extra = [(b"x-should-retry", b"false")] if failure.code == "INSUFFICIENT_CREDITS" else []
        return await respond(send, status, openai_error(status, code, failure.message), extra)


async def run_job(app, user: str, req: dict) -> tuple[Job, list[dict]]:
    job = app.start(user, req)
    return job, [m async for m in job.follow()]


def check_final(log: list[dict]) -> dict:
    last = log[-1]
    if last["type"] == "error":
        raise Failure(last["error"]["code"], last["error"]["message"])
    return last


async def sse(send, events) -> None:
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"text/event-stream"), (b"cache-control", b"no-cache")]})
    async for event in events:
        await send({"type": "http.response.body", "body": event.encode(), "more_body": True})
    await send({"type": "http.response.body", "body": b""})


def to_request(kind: str, payload: dict) -> dict:
    req = {"id": "http", "type": kind, "model": payload.get("model")}
    for key in ("messages", "prompt", "input"):
        if key in payload:
            req[key] = payload[key]
    max_tokens = payload.get("max_completion_tokens") or payload.get("max_tokens")
    if max_tokens is not None:
        req["maxTokens"] = max_tokens
    return req


def openai_usage(done: dict) -> dict:
    u = done["usage"]
    return {"prompt_tokens": u["promptTokens"], "completion_tokens": u["completionTokens"],
            "total_tokens": u["totalTokens"]}


async def chat(app, user, payload, send, kind="chat") -> None:
    req = to_request(kind, payload)
    obj = "chat.completion" if kind == "chat" else "text_completion"
    ident, created, model = f"chatcmpl-{uuid.uuid4().hex}", int(time.time()), payload.get("model")
    if payload.get("stream"):
        job = app.start(user, req)
        include_usage = (payload.get("stream_options") or {}).get("include_usage")

        def chunk(choices, usage=None):
            return "data: " + json.dumps({"id": ident, "object": obj + ".chunk" if kind == "chat" else obj,
                                          "created": created, "model": model, "choices": choices,
                                          "usage": usage}) + "\n\n"

        async def events():
            if kind == "chat":
                yield chunk([{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}])
            async for m in job.follow():
                if m["type"] == "chunk":
                    yield chunk([{"index": 0, "delta": {"content": m["data"]}, "finish_reason": None}] if kind == "chat"
                                else [{"index": 0, "text": m["data"], "finish_reason": None}])
                elif m["type"] == "done":
                    fin = m["finishReason"]
                    yield chunk([{"index": 0, "delta": {}, "finish_reason": fin}] if kind == "chat"
                                else [{"index": 0, "text": "", "finish_reason": fin}])
                    if include_usage:
                        yield chunk([], openai_usage(m))
                else:
                    yield "data: " + json.dumps({"error": {"message": m["error"]["message"], "type": "server_error",
                                                           "param": None, "code": m["error"]["code"]}}) + "\n\n"
            yield "data: [DONE]\n\n"
        return await sse(send, events())
    _, log = await run_job(app, user, req)
    done = check_final(log)
    text = "".join(m["data"] for m in log if m["type"] == "chunk")
    choice = ({"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": done["finishReason"]}
              if kind == "chat" else {"index": 0, "text": text, "finish_reason": done["finishReason"]})
    await respond(send, 200, {"id": ident, "object": obj, "created": created, "model": model, "choices": [choice],
                              "usage": openai_usage(done)})


async def completion(app, user, payload, send) -> None:
    await chat(app, user, payload, send, kind="completion")


async def embeddings(app, user, payload, send) -> None:
    _, log = await run_job(app, user, to_request("embedding", payload))
    done = check_final(log)
    vectors = [v for m in log if m["type"] == "embedding" for v in m["data"]]
    b64 = payload.get("encoding_format") == "base64"
    data = [{"object": "embedding", "index": i,
             "embedding": base64.b64encode(struct.pack(f"<{len(v)}f", *v)).decode() if b64 else v}
            for i, v in enumerate(vectors)]
    await respond(send, 200, {"object": "list", "data": data, "model": payload["model"], "usage": {
        "prompt_tokens": done["usage"]["promptTokens"], "total_tokens": done["usage"]["totalTokens"]}})


async def messages(app, user, payload, send) -> None:
    if not isinstance(payload.get("max_tokens"), int):
        raise Failure("INVALID_REQUEST", "max_tokens is required")
    req = to_request("chat", payload)
    ident, model = f"msg_{uuid.uuid4().hex}", payload.get("model")
    stop = {"length": "max_tokens", "stop": "end_turn"}
    if payload.get("stream"):
        job = app.start(user, req)

        def event(name, data):
            return f"event: {name}\ndata: {json.dumps({'type': name, **data})}\n\n"

        async def events():
            yield event("message_start", {"message": {"id": ident, "type": "message", "role": "assistant",
                                                      "model": model, "content": [], "stop_reason": None,
                                                      "stop_sequence": None,
                                                      "usage": {"input_tokens": 1, "output_tokens": 0}}})
            yield event("content_block_start", {"index": 0, "content_block": {"type": "text", "text": ""}})
            async for m in job.follow():
                if m["type"] == "chunk":
                    yield event("content_block_delta", {"index": 0, "delta": {"type": "text_delta",
                                                                              "text": m["data"]}})
                elif m["type"] == "done":
                    yield event("content_block_stop", {"index": 0})
                    yield event("message_delta", {"delta": {"stop_reason": stop[m["finishReason"]],
                                                            "stop_sequence": None},
                                                  "usage": {"output_tokens": m["usage"]["completionTokens"]}})
                    yield event("message_stop", {})
                else:
                    yield event("error", {"error": {"type": "api_error", "message": m["error"]["message"]}})
        return await sse(send, events())
    _, log = await run_job(app, user, req)
    done = check_final(log)
    text = "".join(m["data"] for m in log if m["type"] == "chunk")
    await respond(send, 200, {"id": ident, "type": "message", "role": "assistant", "model": model,
                              "content": [{"type": "text", "text": text}], "stop_reason": stop[done["finishReason"]],
                              "stop_sequence": None, "usage": {"input_tokens": done["usage"]["promptTokens"],
                                                               "output_tokens": done["usage"]["completionTokens"]}})
