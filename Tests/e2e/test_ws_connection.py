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
        self.sock.sendall(self.frame(0x1, payload))

    @staticmethod
    def frame(opcode: int, payload: bytes, masked: bool = True) -> bytes:
        """One final frame, masked as a client must unless told otherwise."""
        mask = os.urandom(4) if masked else b""
        body = bytes(byte ^ mask[index % 4] for index, byte in enumerate(payload)) if masked else payload
        first, bit = 0x80 | opcode, 0x80 if masked else 0
        if len(payload) < 126:
            header = bytes([first, bit | len(payload)])
        elif len(payload) < 1 << 16:
            header = bytes([first, bit | 126]) + struct.pack("!H", len(payload))
        else:
            header = bytes([first, bit | 127]) + struct.pack("!Q", len(payload))
        return header + mask + body

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


def test_an_unmasked_frame_closes_with_1002(relay, user):
    peer = RawSocket(relay.port, user[1])
    try:
        peer.sock.sendall(RawSocket.frame(0x1, json.dumps(chat("unmasked")).encode(), masked=False))
        frames = []
        while (frame := peer.read_frame()) is not None:
            frames.append(frame)
    finally:
        peer.close()
    assert [opcode for opcode, _ in frames] == [0x8], frames
    assert struct.unpack("!H", frames[0][1][:2])[0] == 1002, frames


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
    assert refused.value.response.headers["WWW-Authenticate"] == "Bearer"


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


def open_websockets(endpoint) -> float:
    for line in httpx.get(f"{endpoint.http}/metrics").text.splitlines():
        if line.startswith("relay_websocket_connections "):
            return float(line.split()[1])
    raise AssertionError("no relay_websocket_connections gauge")


@pytest.mark.deadline(30)
async def test_closed_connections_are_forgotten(fast_ping_ingress, user):
    endpoint, _ = fast_ping_ingress
    assert open_websockets(endpoint) == 0
    polite = [await ws_connect(endpoint, user[1]) for _ in range(3)]
    abrupt = RawSocket(endpoint.port, user[1])
    assert open_websockets(endpoint) == 4
    for ws in polite:
        await ws.close()
    abrupt.close()  # no close frame: the socket just goes away
    deadline = time.monotonic() + 5
    while open_websockets(endpoint) != 0 and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    assert open_websockets(endpoint) == 0


@pytest.mark.deadline(60)
async def test_a_client_that_stops_reading_is_disconnected(relay):
    """Its unread messages pile up in the server only to a bound (8 MiB), then the connection is closed. (On the
    session's relay: its pings come every 30 s, so they do not drop this peer first.)"""
    _, token = relay.user("slow-reader", credits="100000")
    before = open_websockets(relay)
    inputs = [f"t{index}" for index in range(2048)]  # about 330 KB of vectors per answer
    reader = RawSocket(relay.port, token)
    reader.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
    assert open_websockets(relay) == before + 1
    try:
        for index in range(64):
            reader.send_text(json.dumps({"id": f"e{index}", "type": "embedding", "model": "text-embedding-3-small",
                                         "input": inputs}).encode())
        deadline = time.monotonic() + 40
        while open_websockets(relay) > before and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
        assert open_websockets(relay) == before, "the server still holds the connection of a client that reads nothing"
    finally:
        reader.close()


def raw_exchange(port: int, request: bytes) -> bytes:
    """Sends `request` on a new connection; everything the server answers until it closes (or 2 s pass)."""
    with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
        sock.sendall(request)
        data = b""
        try:
            while chunk := sock.recv(65536):
                data += chunk
        except TimeoutError:
            pass  # a kept-alive connection: what came is the answer
        return data


KEY = b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"


def test_an_upgrade_without_a_key_is_400_with_a_reason(relay, user):
    answer = raw_exchange(relay.port, b"GET /ws HTTP/1.1\r\nHost: relay\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                          + f"Sec-WebSocket-Version: 13\r\nAuthorization: Bearer {user[1]}\r\n\r\n".encode())
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400"), answer
    assert json.loads(body)["error"]["code"] == "INVALID_REQUEST"


def test_an_upgrade_that_is_not_a_get_is_400(relay, user):
    answer = raw_exchange(relay.port, b"POST /ws HTTP/1.1\r\nHost: relay\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                          + KEY + f"Sec-WebSocket-Version: 13\r\nAuthorization: Bearer {user[1]}\r\n"
                          "Content-Length: 0\r\n\r\n".encode())
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400"), answer
    assert "GET" in json.loads(body)["error"]["message"]


def test_another_websocket_version_is_426_naming_13(relay, user):
    answer = raw_exchange(relay.port, b"GET /ws HTTP/1.1\r\nHost: relay\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                          + KEY + f"Sec-WebSocket-Version: 8\r\nAuthorization: Bearer {user[1]}\r\n\r\n".encode())
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 426"), answer
    assert b"sec-websocket-version: 13" in head.lower(), answer
    assert json.loads(body)["error"]["code"] == "UPGRADE_REQUIRED"


def test_an_upgrade_after_a_request_on_the_same_connection_is_redirected(relay, user):
    upgrade = (b"GET /ws?x=1 HTTP/1.1\r\nHost: relay\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" + KEY
               + b"Sec-WebSocket-Version: 13\r\n\r\n")
    answer = raw_exchange(relay.port, b"GET /healthz HTTP/1.1\r\nHost: relay\r\n\r\n" + upgrade)
    assert answer.startswith(b"HTTP/1.1 200"), answer
    second = answer[answer.index(b"HTTP/1.1 ", 10):]
    assert second.startswith(b"HTTP/1.1 307") and b"location: /ws?x=1" in second.lower(), answer


def test_a_request_with_another_upgrade_is_served_as_http(relay):
    answer = raw_exchange(relay.port, b"GET /healthz HTTP/1.1\r\nHost: relay\r\nConnection: Upgrade, HTTP2-Settings\r\n"
                          b"Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 200"), answer


def test_an_unparsable_request_is_400(relay):
    answer = raw_exchange(relay.port, b"THIS IS NOT HTTP\r\n\r\n")
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400"), answer
    assert json.loads(body)["error"]["code"] == "INVALID_REQUEST"


def test_the_close_reason_survives_the_peers_close_in_the_same_read(relay, user):
    peer = RawSocket(relay.port, user[1])
    try:
        peer.sock.sendall(RawSocket.frame(0x1, b"\xff\xfe") + RawSocket.frame(0x8, struct.pack("!H", 1000)))
        frame = peer.read_frame()
    finally:
        peer.close()
    assert frame is not None and frame[0] == 0x8 and struct.unpack("!H", frame[1][:2])[0] == 1007, frame


def test_a_close_code_a_peer_may_not_send_is_answered_with_1002(relay, user):
    peer = RawSocket(relay.port, user[1])
    try:
        peer.sock.sendall(RawSocket.frame(0x8, struct.pack("!H", 1005)))
        frame = peer.read_frame()
    finally:
        peer.close()
    assert frame is not None and frame[0] == 0x8 and struct.unpack("!H", frame[1][:2])[0] == 1002, frame


@pytest.mark.deadline(30)
def test_a_silent_connection_does_not_hold_up_shutdown(fast_ping_ingress):
    endpoint, proc = fast_ping_ingress
    with socket.create_connection(("127.0.0.1", endpoint.port), timeout=10) as silent:
        time.sleep(0.2)
        started = time.monotonic()
        proc.process.send_signal(signal.SIGTERM)
        proc.process.wait(10)
        assert time.monotonic() - started < 10
        assert silent.recv(1) == b""  # closed by the server
