"""HTTP/1.1 over kept-alive connections, answers parsed by httptools (llhttp, the C parser uvicorn uses).

httpx spends about half a millisecond of CPU per request on a small machine, and half of that is httpcore and
h11 (its connection pool and a pure-Python HTTP/1.1 state machine); the standard library's ``http.client``
parses headers with the e-mail parser. Here the request head is written directly and llhttp reads the answer,
which also takes care of chunked bodies and keep-alive rules. Two users share the connections and the parsing:

- :class:`KeepAliveWire`: a lean GET without httpx and without evidence, for high-rate paging (the reference
  SBS clients page at ``maksAntall=1`` over it);
- :class:`WireTransport`: the transport under the suite's httpx clients (:func:`conformance.http.bounded_client`),
  so the suite keeps httpx's models and its evidence, and every bound of :mod:`conformance.http` still holds:
  the sockets come from the same network backend, which bounds each operation by the call's deadline, and a
  body is handed over as it arrives. What it does not carry (HEAD, CONNECT, an upgrade) goes to httpx's own
  transport.

Failures surface as httpx's transport exceptions (``ConnectError``, ``ReadTimeout``, ``RemoteProtocolError``, ...),
so retries and the one-line descriptions in :mod:`conformance.http` treat every transport alike.
"""

from __future__ import annotations

import re
import ssl
import threading
import time
import urllib.parse
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

import httpcore
import httptools
import httpx

from conformance import jsonvalue
from conformance.http import tls_context

_RECV = 65536
MAX_HEAD = 100 * 1024  # bytes of an answer's status line and headers: httpcore's bound for h11 too
IDLE_EXPIRY = 5.0  # seconds an idle connection is kept for the next request (httpcore's default)
MAX_IDLE = 20  # idle connections kept per origin (httpcore's default)
# Text that needs no percent-encoding (quote and urlencode would return it unchanged).
_PLAIN_PATH = re.compile(r"[A-Za-z0-9/._~-]*")
_PLAIN_QUERY = re.compile(r"[A-Za-z0-9._~-]*")
_DELIMITED = frozenset({b"content-length", b"transfer-encoding"})  # else the body ends with the connection


@dataclass(slots=True)
class WireResponse:
    """What came back: status, headers (lower-case names; a repeated header keeps its last value), body."""

    method: str
    url: str
    status_code: int
    headers: Mapping[str, str]
    content: bytes

    @property
    def path(self) -> str:
        return urllib.parse.urlsplit(self.url).path

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")

    def json(self) -> Any:
        """The body as JSON, the value the standard library (and httpx) decode (:func:`conformance.jsonvalue.loads`);
        ``ValueError`` when it is not JSON."""
        return jsonvalue.loads(self.content)


class _WireError(Exception):
    """An answer that broke HTTP/1.1 in a way llhttp does not report itself."""


class _StaleConnection(_WireError):
    """A kept-alive connection that the server had closed: nothing came back, the request was not handled."""


class _ClosedEarly(_WireError):
    """The server closed the connection before its answer was whole."""


_WIRE_ERRORS = (httpcore.TimeoutException, httpcore.NetworkError, httptools.HttpParserError, _WireError, OSError)


class _Timeouts(NamedTuple):
    connect: float | None
    read: float | None
    write: float | None


class _Answer:
    """httptools callbacks collecting one answer. An informational answer (100 Continue, 103 Early Hints) is
    skipped: the real one follows on the same connection. Anything after the answer makes the connection
    unusable for the next request, never part of this answer."""

    __slots__ = ("body", "complete", "head_complete", "headers", "keep_alive", "parser", "reason", "status",
                 "version")

    def __init__(self) -> None:
        self.headers: list[tuple[bytes, bytes]] = []
        self.body: list[bytes] = []
        self.reason = b""
        self.status = 0
        self.version = "1.1"
        self.head_complete = self.complete = self.keep_alive = False
        self.parser: httptools.HttpResponseParser | None = httptools.HttpResponseParser(self)

    def on_message_begin(self) -> None:
        if self.complete:
            self.keep_alive = False  # a second answer to one request: the connection is not used again

    def on_status(self, reason: bytes) -> None:
        if not self.complete:
            self.reason += reason  # llhttp may hand it over in pieces

    def on_header(self, name: bytes, value: bytes) -> None:
        if not self.complete:
            self.headers.append((name, value))

    def on_headers_complete(self) -> None:
        if not self.complete and self.parser is not None:
            self.head_complete = True
            self.status = self.parser.get_status_code()
            self.version = self.parser.get_http_version()

    def on_body(self, body: bytes) -> None:
        if not self.complete:
            self.body.append(body)

    def on_message_complete(self) -> None:
        if self.complete or self.parser is None:
            return
        if 100 <= self.status < 200 and self.status != 101:
            self.headers, self.reason, self.head_complete = [], b"", False
            return
        self.complete = True
        self.keep_alive = self.parser.should_keep_alive()  # only known here: the parser resets after the message

    def feed(self, data: bytes) -> None:
        assert self.parser is not None
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError:
            if not self.complete:
                raise
            self.keep_alive = False  # bytes after a whole answer: it stands, the connection is not used again

    def header_map(self) -> dict[str, str]:
        """The headers with lower-case names; a repeated header keeps its last value."""
        return {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in self.headers}


class _Connection:
    """One kept-alive connection over a network stream (httpcore's socket layer, or the run's deadline-bounded
    one): writes a request, reads its answer's head, then its body as it comes."""

    __slots__ = ("idle_since", "key", "stream", "used")

    def __init__(self, stream: httpcore.NetworkStream, key: tuple[str, str, int]) -> None:
        self.stream, self.key = stream, key
        self.used = False
        self.idle_since = 0.0

    def start(self, request: bytes, timeouts: _Timeouts) -> _Answer:
        """Send ``request`` and read until the answer's head is whole. A reused connection the server had closed
        raises :class:`_StaleConnection`: nothing came back, so the request was not handled."""
        reused, self.used = self.used, True
        try:
            self.stream.write(request, timeouts.write)
        except httpcore.WriteError as exc:
            if reused:
                raise _StaleConnection("the server had closed the kept-alive connection") from exc
            raise
        answer = _Answer()
        received = 0
        while not answer.head_complete:
            try:
                data = self.stream.read(_RECV, timeouts.read)
            except httpcore.ReadError as exc:
                if reused and not received:
                    raise _StaleConnection("the server had closed the kept-alive connection") from exc
                raise
            if not data:
                if reused and not received:
                    raise _StaleConnection("the server had closed the kept-alive connection")
                raise _ClosedEarly("the server closed the connection in the middle of a response" if received
                                   else "the server closed the connection without answering")
            received += len(data)
            answer.feed(data)
            if not answer.head_complete and received > MAX_HEAD:
                raise _WireError(f"the answer's head is longer than {MAX_HEAD:,} bytes")
        return answer

    def body(self, answer: _Answer, timeout: float | None) -> Iterator[bytes]:
        """The answer's body in pieces as they arrive (first what came with the head), until its end."""
        while True:
            if answer.body:
                pieces, answer.body = answer.body, []
                yield from pieces
            if answer.complete:
                answer.parser = None  # no cycle left for the GC
                return
            data = self.stream.read(_RECV, timeout)
            if not data:
                if not _DELIMITED & {name.lower() for name, _ in answer.headers}:
                    answer.complete, answer.keep_alive = True, False  # a body delimited by the connection's end
                    continue
                raise _ClosedEarly("the server closed the connection in the middle of a response")
            answer.feed(data)

    def close(self) -> None:
        self.stream.close()


class _Pool:
    """Kept-alive connections per origin, made by one network backend (thread-safe: a request takes a connection
    of its own). An idle connection is used again only while it is fresh and the server has not closed it."""

    def __init__(self, backend: httpcore.NetworkBackend, tls: ssl.SSLContext | None) -> None:
        self.backend, self.tls = backend, tls
        self._idle: dict[tuple[str, str, int], list[_Connection]] = {}
        self._lock = threading.Lock()

    def acquire(self, key: tuple[str, str, int], timeout: float | None) -> _Connection:
        now, stale = time.monotonic(), []
        try:
            with self._lock:
                idle = self._idle.get(key)
                while idle:
                    conn = idle.pop()
                    # Readable while idle: the server closed it (or sent what nobody asked for).
                    if now - conn.idle_since <= IDLE_EXPIRY and not conn.stream.get_extra_info("is_readable"):
                        return conn
                    stale.append(conn)
        finally:
            for conn in stale:
                conn.close()
        return self.connect(key, timeout)

    def connect(self, key: tuple[str, str, int], timeout: float | None) -> _Connection:
        scheme, host, port = key
        stream = self.backend.connect_tcp(host, port, timeout)
        if scheme == "https":
            if self.tls is None:
                stream.close()
                raise ValueError("an https origin needs a TLS context")
            stream = stream.start_tls(self.tls, server_hostname=host, timeout=timeout)
        return _Connection(stream, key)

    def release(self, conn: _Connection) -> None:
        conn.idle_since = time.monotonic()
        with self._lock:
            idle = self._idle.setdefault(conn.key, [])
            if len(idle) < MAX_IDLE:
                idle.append(conn)
                return
        conn.close()

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, {}
        for conns in idle.values():
            for conn in conns:
                conn.close()


def _exchange(pool: _Pool, key: tuple[str, str, int], request: bytes, timeouts: _Timeouts,
             resend_if_stale: bool) -> tuple[_Connection, _Answer]:
    """Send ``request`` on a kept-alive (or new) connection and read the answer's head. A request that may be sent
    twice (GET) is sent once more on a new connection when the kept-alive one turned out closed."""
    conn = pool.acquire(key, timeouts.connect)
    try:
        try:
            return conn, conn.start(request, timeouts)
        except _StaleConnection:
            if not resend_if_stale:
                raise
            conn.close()
            conn = pool.connect(key, timeouts.connect)
            return conn, conn.start(request, timeouts)
    except BaseException:
        conn.close()
        raise


class KeepAliveWire:
    """GET requests to one origin over a small pool of kept-alive connections; safe to share between
    threads (each request takes a connection of its own)."""

    def __init__(self, base_url: str, *, verify: bool | str = True, timeout: float = 30.0) -> None:
        parts = urllib.parse.urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {base_url!r}")
        self.origin = f"{parts.scheme}://{parts.netloc}"
        self._key = (parts.scheme, parts.hostname, parts.port or (443 if parts.scheme == "https" else 80))
        self._host_header = parts.netloc.rpartition("@")[2]
        self._prefix = parts.path.rstrip("/")
        self._timeouts = _Timeouts(timeout, timeout, timeout)
        # The same context as the run's httpx clients (conformance.http): both trust the same CAs.
        self._pool = _Pool(httpcore.SyncBackend(), tls_context(verify) if parts.scheme == "https" else None)

    def get(self, path: str, params: Mapping[str, Any] | None = None,
            headers: Mapping[str, str] | None = None) -> WireResponse:
        """GET ``base path + path`` with ``params`` as the query string."""
        target = self._prefix + path
        if not _PLAIN_PATH.fullmatch(target):
            target = urllib.parse.quote(target)
        if params:
            target += "?" + _query(params)
        url = self.origin + target
        lines = [f"GET {target} HTTP/1.1", f"Host: {self._host_header}"]
        for name, value in (headers or {}).items():
            if "\r" in value or "\n" in value or "\r" in name or "\n" in name:
                raise ValueError(f"line break in header {name!r}")
            lines.append(f"{name}: {value}")
        request = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        try:
            conn, answer = _exchange(self._pool, self._key, request, self._timeouts, resend_if_stale=True)
            try:
                body = b"".join(conn.body(answer, self._timeouts.read))
            except BaseException:
                conn.close()
                raise
        except _WIRE_ERRORS as exc:
            raise _httpx_error(exc, httpx.Request("GET", url)) from exc
        if answer.keep_alive:
            self._pool.release(conn)
        else:
            conn.close()
        return WireResponse("GET", url, answer.status, answer.header_map(), body)

    def close(self) -> None:
        self._pool.close()


_TOKEN = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")  # a header name (RFC 9110 token)
_IDEMPOTENT = frozenset({"GET", "PUT", "DELETE", "OPTIONS", "TRACE"})
_ELSEWHERE = frozenset({"HEAD", "CONNECT"})  # answers llhttp cannot frame alone, or a tunnel


class WireTransport(httpx.BaseTransport):
    """An httpx transport on kept-alive connections parsed by llhttp, in place of httpcore and h11. Sockets come
    from ``backend`` (the run's deadline-bounded one), so every socket operation stays bounded; the body is handed
    over as it arrives, so a caller can stop at a size. HEAD, CONNECT and upgrades go to ``fallback``."""

    def __init__(self, tls: ssl.SSLContext, backend: httpcore.NetworkBackend,
                 fallback: httpx.BaseTransport) -> None:
        tls.set_alpn_protocols(["http/1.1"])  # as httpcore offers it on the same (shared) context
        self._pool = _Pool(backend, tls)
        self._fallback = fallback

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        if request.method in _ELSEWHERE or "upgrade" in request.headers or url.scheme not in ("http", "https"):
            return self._fallback.handle_request(request)
        t = request.extensions.get("timeout") or {}
        timeouts = _Timeouts(t.get("connect"), t.get("read"), t.get("write"))
        key = (url.scheme, url.host, url.port or (443 if url.scheme == "https" else 80))
        wire = _request_head(request) + _request_body(request)
        try:
            conn, answer = _exchange(self._pool, key, wire, timeouts, resend_if_stale=request.method in _IDEMPOTENT)
        except _WIRE_ERRORS as exc:
            raise _httpx_error(exc, request) from exc
        return httpx.Response(answer.status, headers=answer.headers,
                              stream=_Body(self._pool, conn, answer, timeouts.read, request),
                              extensions={"http_version": f"HTTP/{answer.version}".encode("ascii"),
                                          "reason_phrase": answer.reason})

    def close(self) -> None:
        self._pool.close()
        self._fallback.close()


class _Body(httpx.SyncByteStream):
    """An answer's body as it arrives; closing it gives a whole, kept-alive connection back to the pool."""

    def __init__(self, pool: _Pool, conn: _Connection, answer: _Answer, timeout: float | None,
                 request: httpx.Request) -> None:
        self._pool, self._conn, self._answer, self._timeout, self._request = pool, conn, answer, timeout, request

    def __iter__(self) -> Iterator[bytes]:
        if self._conn is None:
            return
        try:
            yield from self._conn.body(self._answer, self._timeout)
        except _WIRE_ERRORS as exc:
            raise _httpx_error(exc, self._request) from exc

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        if self._answer.complete and self._answer.keep_alive:
            self._pool.release(conn)
        else:
            conn.close()
        self._answer.parser = None


def _request_head(request: httpx.Request) -> bytes:
    lines = [b"%s %s HTTP/1.1" % (request.method.encode("ascii"), request.url.raw_path)]
    for name, value in request.headers.raw:
        if not _TOKEN.fullmatch(name) or b"\r" in value or b"\n" in value or b"\0" in value:
            raise httpx.LocalProtocolError(f"not a valid HTTP header: {name!r}", request=request)
        lines.append(b"%s: %s" % (name, value))
    return b"\r\n".join(lines) + b"\r\n\r\n"


def _request_body(request: httpx.Request) -> bytes:
    if "transfer-encoding" in request.headers:  # a body of unknown length, sent in chunks
        return b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in request.stream if c) + b"0\r\n\r\n"
    return b"".join(request.stream)


def _query(params: Mapping[str, Any]) -> str:
    """``urlencode(params)``; written out directly when nothing needs encoding (paging numbers, the hot path)."""
    pairs = [(str(k), str(v)) for k, v in params.items()]
    if all(_PLAIN_QUERY.fullmatch(k) and _PLAIN_QUERY.fullmatch(v) for k, v in pairs):
        return "&".join(f"{k}={v}" for k, v in pairs)
    return urllib.parse.urlencode(pairs)


_FROM_HTTPCORE: tuple[tuple[type[Exception], type[httpx.TransportError]], ...] = (
    (httpcore.ConnectTimeout, httpx.ConnectTimeout), (httpcore.ReadTimeout, httpx.ReadTimeout),
    (httpcore.WriteTimeout, httpx.WriteTimeout), (httpcore.PoolTimeout, httpx.PoolTimeout),
    (httpcore.ConnectError, httpx.ConnectError), (httpcore.ReadError, httpx.ReadError),
    (httpcore.WriteError, httpx.WriteError))


def _httpx_error(exc: BaseException, request: httpx.Request) -> httpx.TransportError:
    """The httpx exception for a failure on the wire, keeping its text (which the hints match on)."""
    for core, mapped in _FROM_HTTPCORE:
        if isinstance(exc, core):
            return mapped(str(exc), request=request)  # what httpx makes of httpcore's own
    text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    if isinstance(exc, TimeoutError):
        return httpx.ReadTimeout(text, request=request)
    if isinstance(exc, httptools.HttpParserError | _WireError):
        return httpx.RemoteProtocolError(text, request=request)
    return httpx.ConnectError(text, request=request)
