"""A lean HTTP/1.1 GET over kept-alive connections, for high-rate paging.

httpx spends about half a millisecond of CPU per request on a small machine (request and response models,
URL parsing, h11), and the standard library's ``http.client`` a fifth of that on parsing headers with the
e-mail parser; a payroll system paging at ``maksAntall=1`` should cost less. This wire writes the request
line and headers itself and parses responses with httptools (llhttp, the C parser uvicorn uses), which
also takes care of chunked bodies and keep-alive rules. It records no evidence, so the conformance suite
keeps httpx; the reference SBS client pages over this.

Failures surface as httpx's transport exceptions (``ConnectError``, ``ReadTimeout``, ...), so retries and
the one-line descriptions in :mod:`conformance.http` treat both transports alike.
"""

from __future__ import annotations

import re
import socket
import ssl
import threading
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httptools
import httpx
import orjson

from conformance.http import tls_context

_RECV = 65536
# Text that needs no percent-encoding (quote and urlencode would return it unchanged).
_PLAIN_PATH = re.compile(r"[A-Za-z0-9/._~-]*")
_PLAIN_QUERY = re.compile(r"[A-Za-z0-9._~-]*")
_DELIMITED = frozenset({"content-length", "transfer-encoding"})  # else the body ends with the connection


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
        """The body as JSON; ``ValueError`` when it is not JSON."""
        return orjson.loads(self.content)


class _StaleConnection(Exception):
    """A kept-alive connection that the server had closed: nothing came back, the request was not handled."""


class _ClosedEarly(Exception):
    """The server closed the connection in the middle of a response."""


class _Response:
    """httptools callbacks collecting one response."""

    __slots__ = ("body", "complete", "headers", "headers_complete", "keep_alive", "parser")

    def __init__(self) -> None:
        self.headers: dict[str, str] = {}
        self.body: list[bytes] = []
        self.headers_complete = False
        self.complete = False
        self.keep_alive = False
        self.parser = httptools.HttpResponseParser(self)

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers[name.decode("latin-1").lower()] = value.decode("latin-1")

    def on_headers_complete(self) -> None:
        self.headers_complete = True

    def on_body(self, body: bytes) -> None:
        self.body.append(body)

    def on_message_complete(self) -> None:
        self.complete = True
        self.keep_alive = self.parser.should_keep_alive()  # only known here: the parser resets after the message


class _Connection:
    def __init__(self, host: str, port: int, timeout: float, tls: ssl.SSLContext | None) -> None:
        sock = socket.create_connection((host, port), timeout=timeout)
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # no response waits for Nagle
            self.sock = tls.wrap_socket(sock, server_hostname=host) if tls is not None else sock
        except BaseException:
            sock.close()
            raise
        self.used = False

    def exchange(self, request: bytes) -> tuple[int, dict[str, str], bytes, bool]:
        """Send one request, read its response: (status, headers, body, connection reusable)."""
        reused, self.used = self.used, True
        try:
            self.sock.sendall(request)
        except (BrokenPipeError, ConnectionResetError) as exc:
            if reused:
                raise _StaleConnection from exc
            raise
        response = _Response()
        received = False
        while not response.complete:
            try:
                data = self.sock.recv(_RECV)
            except ConnectionResetError as exc:
                if reused and not received:
                    raise _StaleConnection from exc
                raise
            if not data:
                if reused and not received:
                    raise _StaleConnection
                if response.headers_complete and not _DELIMITED & response.headers.keys():
                    break  # a body delimited by the end of the connection
                raise _ClosedEarly("the server closed the connection in the middle of a response")
            received = True
            response.parser.feed_data(data)
        status, response.parser = response.parser.get_status_code(), None  # no cycle left for the GC
        return status, response.headers, b"".join(response.body), response.keep_alive

    def close(self) -> None:
        self.sock.close()


class KeepAliveWire:
    """GET requests to one origin over a small pool of kept-alive connections; safe to share between
    threads (each request takes a connection of its own)."""

    def __init__(self, base_url: str, *, verify: bool | str = True, timeout: float = 30.0) -> None:
        parts = urllib.parse.urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {base_url!r}")
        self.origin = f"{parts.scheme}://{parts.netloc}"
        self._host = parts.hostname
        self._port = parts.port or (443 if parts.scheme == "https" else 80)
        self._host_header = parts.netloc.rpartition("@")[2]
        self._prefix = parts.path.rstrip("/")
        self._timeout = timeout
        self._tls: ssl.SSLContext | None = None
        if parts.scheme == "https":
            # The same context as the run's httpx clients (conformance.http): both trust the same CAs.
            self._tls = tls_context(verify)
        self._idle: list[_Connection] = []
        self._lock = threading.Lock()

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
            status, header_map, body, _ = self._send(request)
        except (OSError, httptools.HttpParserError, _StaleConnection, _ClosedEarly) as exc:
            raise _transport_error(exc, url) from exc
        return WireResponse("GET", url, status, header_map, body)

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()

    def _send(self, request: bytes) -> tuple[int, dict[str, str], bytes, bool]:
        with self._lock:
            conn = self._idle.pop() if self._idle else None
        try:
            if conn is None:
                conn = _Connection(self._host, self._port, self._timeout, self._tls)
            try:
                answer = conn.exchange(request)
            except _StaleConnection:  # safe to send a GET once more, on a new connection
                conn.close()
                conn = _Connection(self._host, self._port, self._timeout, self._tls)
                answer = conn.exchange(request)
        except BaseException:
            if conn is not None:
                conn.close()
            raise
        if answer[3]:
            with self._lock:
                self._idle.append(conn)
        else:
            conn.close()
        return answer


def _query(params: Mapping[str, Any]) -> str:
    """``urlencode(params)``; written out directly when nothing needs encoding (paging numbers, the hot path)."""
    pairs = [(str(k), str(v)) for k, v in params.items()]
    if all(_PLAIN_QUERY.fullmatch(k) and _PLAIN_QUERY.fullmatch(v) for k, v in pairs):
        return "&".join(f"{k}={v}" for k, v in pairs)
    return urllib.parse.urlencode(pairs)


def _transport_error(exc: BaseException, url: str) -> httpx.TransportError:
    """The httpx exception for a failure on the wire, keeping its text (which the hints match on)."""
    text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    request = httpx.Request("GET", url)
    if isinstance(exc, TimeoutError):
        return httpx.ReadTimeout(text, request=request)
    if isinstance(exc, httptools.HttpParserError | _StaleConnection | _ClosedEarly):
        return httpx.RemoteProtocolError(text, request=request)
    return httpx.ConnectError(text, request=request)
