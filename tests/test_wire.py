"""KeepAliveWire and KeepAliveTrekkpaaleggClient: HTTP/1.1 framing, connection reuse, failures as
transport errors, retries, and the same answers as the httpx client against the mock; and WireTransport, the
same wire under the suite's httpx clients: what httpx hands over, framing, reuse, broken answers, proxies."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Iterator

import httpx
import pytest

from conformance.apiclient import ApiError, UnexpectedBody
from conformance.errors import TargetEnvironmentError
from conformance.http import RetryPolicy
from conformance.profiles.trekkpaalegg.client import KeepAliveTrekkpaaleggClient, TrekkpaaleggClient
from conformance.wire import KeepAliveWire, WireTransport
from conftest import mp_client


class CannedServer:
    """A real TCP server on 127.0.0.1 that answers request number n with ``answers[n]``: raw bytes, written
    as they are, then ``"close"`` closes the connection (else it stays open for the next request)."""

    def __init__(self, answers: list[tuple[bytes, str | None]]) -> None:
        self.answers = answers
        self.accepted = 0
        self.closed = 0
        self._closing = threading.Condition()
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
            with self._closing:
                self.closed += 1
                self._closing.notify_all()

    def wait_closed(self, n: int) -> None:
        """Until the server has closed ``n`` connections."""
        with self._closing:
            assert self._closing.wait_for(lambda: self.closed >= n, timeout=10)

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


@pytest.mark.parametrize("body", [
    b'[{"sekvensnummer": 123456789012345678901}]',  # beyond 64 bits: orjson would give a float
    b'[-9223372036854775809, 18446744073709551616]',
    b'{"trekkprosent": NaN, "x": Infinity}',  # not JSON, but what httpx's response.json() reads
    '[{"melding": "Ugyldig forespørsel"}]'.encode("utf-16"),
    b'[{"trekkid": "1", "trekkprosent": 12.5}]',
], ids=["beyond-64-bits", "past-both-ends-of-64-bits", "nan-infinity", "utf-16", "plain"])
def test_json_gives_what_the_standard_library_and_httpx_give(canned, body):
    server = canned([(ok(body), None)])
    got = KeepAliveWire(server.url).get("/a").json()
    expected = json.loads(body)
    assert repr(got) == repr(expected)  # repr: an int stays an int, and NaN equals itself as text
    assert repr(got) == repr(httpx.Response(200, content=body).json())


def test_json_of_a_broken_body_is_a_value_error(canned):
    server = canned([(ok(b'[1, 2'), None)])
    with pytest.raises(ValueError):
        KeepAliveWire(server.url).get("/a").json()


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


# -- WireTransport: the transport under the suite's httpx clients (conformance.http.bounded_client) ------------------


def suite_get(url: str, **kwargs) -> httpx.Response:
    """A GET as the suite sends it: bounded_client, send(), within the run's bounds."""
    from conformance.http import CallLimits, bounded_client, send

    client = bounded_client(timeout=kwargs.pop("timeout", 5.0))
    try:
        return send(client, client.build_request("GET", url, **kwargs), limits=CallLimits(timeout=5.0))
    finally:
        client.close()


def test_the_suite_client_keeps_what_httpx_gave_it(canned):
    """Repeated headers, the reason phrase, the HTTP version, informational answers and a cookie: as httpcore
    gives them, now over the wire."""
    from conformance.http import bounded_client

    early = b"HTTP/1.1 103 Early Hints\r\nlink: </a.css>\r\n\r\nHTTP/1.1 100 Continue\r\n\r\n"
    created = (b"HTTP/1.1 201 Created\r\nlink: <a>\r\nlink: <b>\r\nset-cookie: lb=node2; Path=/\r\n"
               b"content-length: 2\r\n\r\n{}")
    old = b"HTTP/1.0 200 OK\r\ncontent-length: 4\r\n\r\n[10]"
    server = canned([(early + created, None), (ok(b"[2]"), None), (old, "close")])
    client = bounded_client(timeout=5.0)
    assert isinstance(client._transport, WireTransport)  # direct connections: the wire, not httpcore
    first = client.get(server.url + "/a")
    assert (first.status_code, first.reason_phrase, first.http_version) == (201, "Created", "HTTP/1.1")
    assert first.headers.get_list("link") == ["<a>", "<b>"] and first.json() == {}
    assert client.get(server.url + "/b").json() == [2]
    assert b"cookie: lb=node2" in server.requests[1].lower()  # the cookie set by the first answer is sent
    last = client.get(server.url + "/c")
    assert (last.http_version, last.json()) == ("HTTP/1.0", [10]) and server.accepted == 1
    client.close()


def test_the_suite_client_frames_bodies_and_reuses_connections(canned):
    chunked = b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3\r\n[1,\r\n2\r\n2]\r\n0\r\n\r\n"
    until_close = b"HTTP/1.1 200 OK\r\n\r\n[7]"
    server = canned([(chunked, None), (ok(b"[0]", "connection: close\r\n"), "close"), (until_close, "close"),
                     (ok(b"[8]") + b"HTTP/1.1 200 OK\r\n\r\n", None), (ok(b"[9]"), None)])
    from conformance.http import bounded_client

    client = bounded_client(timeout=5.0)
    bodies = [client.get(server.url + "/a").json() for _ in range(3)]
    assert bodies == [[1, 2], [0], [7]] and server.accepted == 2
    assert client.get(server.url + "/b").json() == [8]  # the answer stands; what follows it is not used
    assert client.get(server.url + "/c").json() == [9] and server.accepted == 4
    client.close()


def test_the_suite_client_sends_a_get_again_on_a_closed_kept_alive_connection_and_a_post_on_a_new_one(canned):
    from conformance.http import bounded_client

    server = canned([(ok(b"[1]"), "close"), (ok(b"[2]"), None), (ok(b"[3]"), "close"), (ok(b"{}"), None)])
    client = bounded_client(timeout=5.0)
    assert client.get(server.url + "/a").json() == [1]
    assert client.get(server.url + "/a").json() == [2] and server.accepted == 2
    assert client.get(server.url + "/a").json() == [3]
    server.wait_closed(2)
    # The server closed without saying so; seen before the POST is sent, so it goes on a new connection once.
    assert client.post(server.url + "/token", data={"grant_type": "x"}).json() == {} and server.accepted == 3
    assert server.requests[3].startswith(b"POST /token HTTP/1.1\r\n")
    assert b"content-type: application/x-www-form-urlencoded" in server.requests[3].lower()
    client.close()


def test_an_idle_connection_is_not_used_after_the_keep_alive_expiry(canned, monkeypatch):
    import conformance.wire

    server = canned([(ok(b"[1]"), None), (ok(b"[2]"), None)])
    monkeypatch.setattr(conformance.wire, "IDLE_EXPIRY", -1.0)  # every idle connection has expired
    from conformance.http import bounded_client

    client = bounded_client(timeout=5.0)
    assert [client.get(server.url + "/a").json() for _ in range(2)] == [[1], [2]] and server.accepted == 2
    client.close()


@pytest.mark.parametrize("answer, kind, text", [
    (b"HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\n[1", httpx.RemoteProtocolError, "in the middle of a response"),
    (b"NOT HTTP AT ALL\r\n\r\n", httpx.RemoteProtocolError, "HttpParser"),
    (b"HTTP/1.1 200 OK\r\n" + b"x-long: " + b"a" * 200_000, httpx.RemoteProtocolError, "head is longer than"),
    (b"", httpx.RemoteProtocolError, "without answering"),
])
def test_broken_answers_to_the_suite_client_are_protocol_errors(canned, answer, kind, text):
    from conformance.errors import TargetUnreachable

    server = canned([(answer, "close")])
    with pytest.raises(TargetUnreachable) as info:  # send() gives up after its attempt, with the cause
        suite_get(server.url + "/a")
    assert isinstance(info.value.__cause__, kind) and text in str(info.value.__cause__)


def test_the_suite_client_refuses_header_injection_and_leaves_head_to_httpx(canned):
    from conformance.http import bounded_client

    server = canned([(b"HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\n", None)])
    client = bounded_client(timeout=5.0)
    with pytest.raises(httpx.LocalProtocolError):
        client.get(server.url + "/a", headers={"X-A": "1\r\nInjected: 2"})
    head = client.head(server.url + "/a")  # a HEAD answer has no body, whatever its content-length says
    assert head.status_code == 200 and head.content == b"" and server.requests[0].startswith(b"HEAD /a ")
    client.close()


def test_a_proxy_from_the_environment_still_carries_the_suite_client(canned, monkeypatch):
    server = canned([(ok(b"[5]"), None)])
    monkeypatch.setenv("HTTP_PROXY", server.url)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    assert suite_get("http://api.example.invalid/liste").json() == [5]
    assert server.requests[0].startswith(b"GET http://api.example.invalid/liste HTTP/1.1\r\n")  # the proxy's form


def test_the_suite_client_over_tls_with_the_run_ca_and_an_untrusted_server(tmp_path, state, creds):
    from conformance.clientcheck.runner import make_tls
    from conformance.errors import TargetUnreachable
    from conformance.mock import serve

    ca, cert, key = make_tls(tmp_path)
    with serve(state, ssl_certfile=str(cert), ssl_keyfile=str(key)) as running:
        mp = mp_client(running, creds, verify=str(ca))  # the token's POST goes over TLS too
        suite = TrekkpaaleggClient(running.base_url, mp.access_token, verify=str(ca))
        assert [len(suite.hent_side(0, 3)) for _ in range(3)] == [3, 3, 3]
        suite.close()
        with pytest.raises(TargetUnreachable) as info:  # httpx's default CAs do not know the run's CA
            suite_get(running.base_url + "/api/trekkpaalegg/v1")
        assert info.value.cause.startswith("TLS handshake with 127.0.0.1 failed") and "CA bundle" in info.value.hint
