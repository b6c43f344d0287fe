"""KeepAliveWire and KeepAliveTrekkpaaleggClient: HTTP/1.1 framing, connection reuse, failures as
transport errors, retries, and the same answers as the httpx client against the mock."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator

import httpx
import pytest

from conformance.apiclient import ApiError, UnexpectedBody
from conformance.errors import TargetEnvironmentError
from conformance.http import RetryPolicy
from conformance.profiles.trekkpaalegg.client import KeepAliveTrekkpaaleggClient, TrekkpaaleggClient
from conformance.wire import KeepAliveWire
from conftest import mp_client


class CannedServer:
    """A real TCP server on 127.0.0.1 that answers request number n with ``answers[n]``: raw bytes, written
    as they are, then ``"close"`` closes the connection (else it stays open for the next request)."""

    def __init__(self, answers: list[tuple[bytes, str | None]]) -> None:
        self.answers = answers
        self.accepted = 0
        self.requests: list[bytes] = []
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while len(self.requests) < len(self.answers):
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted += 1
            with conn:
                while len(self.requests) < len(self.answers):
                    data = b""
                    while b"\r\n\r\n" not in data:
                        chunk = conn.recv(65536)
                        if not chunk:
                            break
                        data += chunk
                    if not data:
                        break
                    self.requests.append(data)
                    body, after = self.answers[len(self.requests) - 1]
                    conn.sendall(body)
                    if after == "close":
                        break

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def canned() -> Iterator[Callable[[list[tuple[bytes, str | None]]], CannedServer]]:
    servers: list[CannedServer] = []

    def start(answers: list[tuple[bytes, str | None]]) -> CannedServer:
        servers.append(CannedServer(answers))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def ok(body: bytes = b"[]", extra: str = "") -> bytes:
    return (f"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {len(body)}\r\n{extra}\r\n"
            .encode() + body)


def test_one_connection_serves_many_requests(canned):
    server = canned([(ok(b"[1]"), None), (ok(b"[2]"), None), (ok(b"[3]"), None)])
    wire = KeepAliveWire(server.url + "/api/v1")
    bodies = [wire.get("/x", {"fraSekvensnummer": n, "maksAntall": 1}, {"Accept": "application/json"}).json()
              for n in range(3)]
    assert bodies == [[1], [2], [3]] and server.accepted == 1
    first = server.requests[0].decode()
    assert first.startswith("GET /api/v1/x?fraSekvensnummer=0&maksAntall=1 HTTP/1.1\r\n")
    assert f"Host: {server.url[7:]}\r\n" in first and "Accept: application/json\r\n" in first


def test_connection_close_chunked_and_body_until_close(canned):
    chunked = b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3\r\n[1,\r\n2\r\n2]\r\n0\r\n\r\n"
    until_close = b"HTTP/1.1 200 OK\r\nconnection: close\r\n\r\n[7]"
    server = canned([(ok(b"[0]", "connection: close\r\n"), "close"), (chunked, None), (until_close, "close")])
    wire = KeepAliveWire(server.url)
    answers = [wire.get("/a") for _ in range(3)]
    assert [a.json() for a in answers] == [[0], [1, 2], [7]]
    assert answers[1].headers["transfer-encoding"] == "chunked" and server.accepted == 2


def test_a_kept_alive_connection_the_server_closed_is_replaced_once(canned):
    server = canned([(ok(b"[1]"), "close"), (ok(b"[2]"), None)])  # closed without saying so
    wire = KeepAliveWire(server.url)
    assert wire.get("/a").json() == [1]
    assert wire.get("/a").json() == [2] and server.accepted == 2


@pytest.mark.parametrize("answer, kind, text", [
    (b"HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\n[1", httpx.RemoteProtocolError, "in the middle of a response"),
    (b"NOT HTTP AT ALL\r\n\r\n", httpx.RemoteProtocolError, "HttpParserError"),
])
def test_broken_answers_are_protocol_errors(canned, answer, kind, text):
    server = canned([(answer, "close")])
    with pytest.raises(kind, match=text):
        KeepAliveWire(server.url).get("/a")


def test_refused_slow_and_unsafe_requests():
    sock = socket.create_server(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    with pytest.raises(httpx.ReadTimeout):  # listening, never answering
        KeepAliveWire(f"http://127.0.0.1:{port}", timeout=0.2).get("/a")
    sock.close()
    with pytest.raises(httpx.ConnectError, match="refused"):
        KeepAliveWire(f"http://127.0.0.1:{port}").get("/a")
    with pytest.raises(ValueError, match="line break"):
        KeepAliveWire(f"http://127.0.0.1:{port}").get("/a", headers={"X": "a\r\nInjected: 1"})
    with pytest.raises(ValueError, match="not an http"):
        KeepAliveWire("ftp://example.org")


def test_client_retries_with_retry_after_then_types_the_errors(canned):
    feil = b'{"kode":"KB-009","melding":"Fant ikke","korrelasjonsid":"x"}'
    server = canned([(b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\n\r\n", None),
                     (b"HTTP/1.1 429 Too Many Requests\r\nretry-after: 7\r\ncontent-length: 0\r\n\r\n", None),
                     (ok(b"[]"), None),
                     (b"HTTP/1.1 404 Not Found\r\ncontent-length: %d\r\n\r\n" % len(feil) + feil, None),
                     (ok(b"{}"), None)])
    waits: list[float] = []
    tokens = iter(["t1", "t2", "t3", "t4", "t5"])
    client = KeepAliveTrekkpaaleggClient(server.url, lambda: next(tokens),
                                         retry=RetryPolicy(attempts=3, backoff=0.5, sleep=waits.append))
    assert client.hent_side(0, 10) == [] and waits == [0.5, 7.0]
    assert [r.split(b"Authorization: Bearer ")[1][:2] for r in server.requests] == [b"t1", b"t2", b"t3"]
    with pytest.raises(ApiError) as info:
        client.hent_versjon("10003", 9)
    assert info.value.status == 404 and info.value.feil["kode"] == "KB-009"
    assert str(info.value) == "HTTP 404 from GET /api/trekkpaalegg/v1/10003/9 (kode KB-009)"
    with pytest.raises(UnexpectedBody, match="expected an array"):
        client.hent_alle()


def test_unreachable_service_is_an_environment_error_in_one_line():
    sock = socket.create_server(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    client = KeepAliveTrekkpaaleggClient(f"http://127.0.0.1:{port}", lambda: "t",
                                         retry=RetryPolicy(attempts=2, sleep=lambda _: None))
    with pytest.raises(TargetEnvironmentError) as info:
        client.hent_side(0, 1)
    assert info.value.one_line().startswith(f"connection refused by http://127.0.0.1:{port}")


def test_same_answers_as_the_httpx_client_against_the_mock(mock, creds):
    mp = mp_client(mock, creds)
    lean = KeepAliveTrekkpaaleggClient(mock.base_url, mp.access_token)
    full = TrekkpaaleggClient(mock.base_url, mp.access_token)
    assert [s.items for s in lean.iter_sider(3)] == [s.items for s in full.iter_sider(3)]
    assert lean.hent_alle() == full.hent_alle() and lean.hent_versjon("10003", 1) == full.hent_versjon("10003", 1)
    with pytest.raises(ApiError) as info:
        lean.hent_side(0, 0)
    assert info.value.status == 400
    lean.close()
    full.close()


def test_targets_are_encoded_exactly_like_quote_and_urlencode():
    import random
    import urllib.parse

    from conformance.wire import _PLAIN_PATH, _query

    rng = random.Random(2)
    for _ in range(5000):
        params = {"".join(rng.choice("ab/%& =+~.-_Z9") for _ in range(rng.randint(1, 4))):
                  rng.choice([rng.randint(0, 10**6), "".join(rng.choice("x/?&= %~-_.") for _ in range(4))])
                  for _ in range(rng.randint(1, 3))}
        assert _query(params) == urllib.parse.urlencode(params)
        path = "".join(rng.choice("ab/%& =+~.-_Z9?#") for _ in range(rng.randint(0, 6)))
        if _PLAIN_PATH.fullmatch(path):
            assert urllib.parse.quote(path) == path


def test_tls_with_the_run_ca_and_an_untrusted_server(tmp_path, state, creds):
    from conformance.clientcheck.runner import make_tls
    from conformance.http import describe_transport_error
    from conformance.mock import serve

    ca, cert, key = make_tls(tmp_path)
    with serve(state, ssl_certfile=str(cert), ssl_keyfile=str(key)) as running:
        mp = mp_client(running, creds, verify=str(ca))
        trusted = KeepAliveTrekkpaaleggClient(running.base_url, mp.access_token, verify=str(ca))
        assert len(trusted.hent_side(0, 3)) == 3
        with pytest.raises(httpx.ConnectError) as info:  # httpx's default CAs do not know the run's CA
            KeepAliveWire(running.base_url).get("/api/trekkpaalegg/v1")
        error = describe_transport_error(info.value, running.base_url)
        assert error.cause.startswith("TLS handshake with 127.0.0.1 failed") and "CA bundle" in error.hint
        unverified = KeepAliveWire(running.base_url, verify=False).get("/api/trekkpaalegg/v1")
        assert unverified.status_code == 401
