"""The WebSocket connection itself: pings both ways, dead peers, fragments, bad UTF-8, refused upgrades, shutdown."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import signal
import socket
import struct
import time

import httpx
import pytest
from websockets.exceptions import InvalidStatus

from harness import Endpoint, Processes
from wsclient import Session, assert_done, chat, rid, ws_connect


class RawSocket:
    """A WebSocket client on a bare socket that answers nothing unless told: a peer that stopped responding."""

    def __init__(self, port: int, token: str):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((f"GET /ws HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                           f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                           f"Authorization: Bearer {token}\r\n\r\n").encode())
        head = b""
        while b"\r\n\r\n" not in head:
            head += self.sock.recv(1)
        assert head.startswith(b"HTTP/1.1 101"), head

    def send_text(self, payload: bytes) -> None:
        mask = os.urandom(4)
        masked = bytes(byte ^ mask[index % 4] for index, byte in enumerate(payload))
        assert len(payload) < 126
        self.sock.sendall(bytes([0x81, 0x80 | len(payload)]) + mask + masked)

    def read_frame(self) -> tuple[int, bytes] | None:
        """(opcode, payload) of the next frame, or None once the server closed the socket."""
        header = self._exactly(2)
        if header is None:
            return None
        length = header[1] & 0x7F
        if length == 126:
            length = struct.unpack("!H", self._exactly(2))[0]
        elif length == 127:
            length = struct.unpack("!Q", self._exactly(8))[0]
        return header[0] & 0x0F, self._exactly(length) or b""

    def _exactly(self, count: int) -> bytes | None:
        data = b""
        while len(data) < count:
            chunk = self.sock.recv(count - len(data))
            if not chunk:
                return None
            data += chunk
        return data

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def fast_ping_ingress(relay, tmp_path, request):
    """`relay serve --ping-interval 1` beside the session's relay dev: an Endpoint, and its process."""
    with Processes(tmp_path) as procs:
        proc, port = procs.relay_serve(relay.binary, relay.workdir / "workers.yml", relay.env(), "relay-serve-ping",
                                       extra=["--spool", str(tmp_path / "spool"), "--ping-interval", "1"])
        yield Endpoint(port), proc
        report = getattr(request.node, "rep_call", None)
        if report is not None and report.failed:
            procs.print_logs()


async def test_a_client_ping_is_answered(relay, user):
    async with ws_connect(relay, user[1]) as ws:
        pong = await ws.ping(b"relay?")
        await asyncio.wait_for(pong, 5)


async def test_a_fragmented_message_is_one_request(relay, user):
    async with ws_connect(relay, user[1]) as ws:
        session = Session(ws)
        request_id = rid("frag")
        text = json.dumps(chat(request_id, maxTokens=3))
        await ws.send([text[:10], text[10:25], text[25:]])
        assert_done(await session.until_final(request_id), request_id)


@pytest.mark.deadline(30)
def test_a_peer_that_stops_answering_pings_is_dropped(fast_ping_ingress, user):
    endpoint, _ = fast_ping_ingress
    peer = RawSocket(endpoint.port, user[1])
    try:
        started = time.monotonic()
        opcodes = []
        while (frame := peer.read_frame()) is not None:
            opcodes.append(frame[0])
        waited = time.monotonic() - started
    finally:
        peer.close()
    assert 0x9 in opcodes, f"the server never pinged: {opcodes}"
    assert 1.5 <= waited <= 10, f"dropped after {waited:.1f} s"


@pytest.mark.deadline(30)
async def test_a_peer_that_answers_pings_stays(fast_ping_ingress, user):
    endpoint, _ = fast_ping_ingress
    async with ws_connect(endpoint, user[1], ping_interval=None) as ws:  # it pongs, never pings
        await asyncio.sleep(3.5)
        session = Session(ws)
        request_id = rid("alive")
        await session.send(chat(request_id, maxTokens=2))
        assert_done(await session.until_final(request_id), request_id)


def test_invalid_utf8_closes_with_1007(relay, user):
    peer = RawSocket(relay.port, user[1])
    try:
        peer.send_text(b'{"id": "\xff\xfe"}')
        frame = peer.read_frame()
    finally:
        peer.close()
    assert frame is not None and frame[0] == 0x8, frame
    assert struct.unpack("!H", frame[1][:2])[0] == 1007, frame


def test_plain_get_of_ws_is_426(relay, user):
    response = httpx.get(f"{relay.http}/ws", headers={"Authorization": f"Bearer {user[1]}"})
    assert response.status_code == 426, response.text


async def test_upgrade_on_another_path_is_404(relay, user):
    class Elsewhere:
        ws = relay.ws.replace("/ws", "/v1/chat/completions")

    with pytest.raises(InvalidStatus) as refused:
        async with ws_connect(Elsewhere, user[1]):
            pass
    assert refused.value.response.status_code == 404
    assert json.loads(refused.value.response.body)["error"]["code"] == "NOT_FOUND"


async def test_refused_upgrade_says_why_in_json(relay):
    with pytest.raises(InvalidStatus) as refused:
        async with ws_connect(relay, "not.a.jwt"):
            pass
    body = json.loads(refused.value.response.body)
    assert body["error"]["code"] == "UNAUTHORIZED" and body["error"]["message"], body


@pytest.mark.deadline(30)
async def test_stopping_the_server_closes_connections_with_1001(fast_ping_ingress, user):
    endpoint, proc = fast_ping_ingress
    async with ws_connect(endpoint, user[1]) as ws:
        session = Session(ws)
        request_id = rid("before-stop")
        await session.send(chat(request_id, maxTokens=2))
        assert_done(await session.until_final(request_id), request_id)
        started = time.monotonic()
        proc.process.send_signal(signal.SIGTERM)
        code, reason = await session.closed()
    assert code == 1001, f"close code {code} ({reason!r})"
    await asyncio.to_thread(proc.process.wait, 10)
    assert time.monotonic() - started < 10
