"""Evidence: every HTTP exchange of a run, recorded once and redacted once, here.

Redaction works in layers before anything leaves this module:

1. by name: headers and JSON/form keys such as ``Authorization``, ``assertion``, ``access_token``;
2. by value: every secret registered with :class:`Redactor` (tokens, assertions, key material) is
   replaced wherever it appears, also URL-encoded and inside bodies.

Exchanges are attributed to the check that was running when they were made (``Evidence.current``).
"""

from __future__ import annotations

import json
import re
import threading
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import Any

import httpx

REDACTED = "[REDACTED]"
SECRET_NAMES = frozenset(
    {"authorization", "proxy-authorization", "assertion", "access_token", "refresh_token", "id_token",
     "client_secret", "password", "private_key", "cookie", "set-cookie"}
)
_PEM_BLOCK = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?-----END [A-Z ]*PRIVATE KEY-----", re.S)
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*")
MAX_BODY_CHARS = 200_000


class Redactor:
    """Registry of secret values; :meth:`text` replaces every registered value and known shape."""

    def __init__(self) -> None:
        self._secrets: dict[str, str] = {}
        self._lock = threading.Lock()

    def register(self, value: str | bytes | None, label: str = "secret") -> None:
        if not value:
            return
        text = value.decode("utf-8", "replace") if isinstance(value, bytes) else value
        if len(text) < 8:  # too short to be a secret worth matching, and too likely to match by chance
            return
        variants = {text, urllib.parse.quote(text, safe=""), urllib.parse.quote_plus(text)}
        if "-----BEGIN" in text:  # every line of key material, so a partial copy is caught too
            variants |= {line.strip() for line in text.splitlines() if len(line.strip()) >= 40}
        with self._lock:
            for variant in variants:
                self._secrets[variant] = label

    @property
    def secrets(self) -> list[str]:
        with self._lock:
            return list(self._secrets)

    def labelled(self) -> dict[str, str]:
        """Every registered secret with its label (what kind of secret it is)."""
        with self._lock:
            return dict(self._secrets)

    def text(self, value: str) -> str:
        with self._lock:
            items = sorted(self._secrets.items(), key=lambda kv: -len(kv[0]))
        for secret, label in items:
            if secret in value:
                value = value.replace(secret, f"[REDACTED:{label}]")
        value = _PEM_BLOCK.sub("[REDACTED:private-key]", value)
        return _JWT.sub("[REDACTED:jwt]", value)

    def headers(self, headers: httpx.Headers | dict[str, str]) -> dict[str, str]:
        return {k: (REDACTED if k.lower() in SECRET_NAMES else self.text(v)) for k, v in headers.items()}

    def body(self, raw: str, content_type: str) -> str:
        if "json" in content_type:
            try:
                return json.dumps(self._json(json.loads(raw)), ensure_ascii=False)
            except ValueError:
                pass
        if "x-www-form-urlencoded" in content_type:
            pairs = urllib.parse.parse_qsl(raw, keep_blank_values=True)
            return urllib.parse.urlencode(
                [(k, REDACTED if k.lower() in SECRET_NAMES else self.text(v)) for k, v in pairs])
        return self.text(raw)

    def reapply(self, e: Exchange) -> None:
        """Redact an already recorded exchange again with every secret registered since (before writing)."""
        e.url = self.text(e.url)
        e.request_headers = {k: self.text(v) for k, v in e.request_headers.items()}
        e.response_headers = {k: self.text(v) for k, v in e.response_headers.items()}
        e.request_body = self.text(e.request_body)
        e.response_body = self.text(e.response_body)
        e.error = self.text(e.error) if e.error else None

    def _json(self, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: (REDACTED if k.lower() in SECRET_NAMES else self._json(v)) for k, v in value.items()}
        if isinstance(value, list):
            return [self._json(v) for v in value]
        if isinstance(value, str):
            return self.text(value)
        return value


@dataclass
class Exchange:
    """One HTTP request and its response (or the transport error), already redacted."""

    seq: int
    check: str | None
    method: str
    url: str
    request_headers: dict[str, str]
    request_body: str
    status: int | None
    response_headers: dict[str, str]
    response_body: str
    elapsed_ms: float
    started: float
    korrelasjonsid: str | None = None
    error: str | None = None
    kind: str = "api"  # "api" or "token"
    attempt: int = 1

    def summary(self) -> dict[str, Any]:
        return {"seq": self.seq, "method": self.method, "url": self.url, "status": self.status,
                "elapsed_ms": round(self.elapsed_ms, 1), "korrelasjonsid": self.korrelasjonsid,
                "kind": self.kind, "attempt": self.attempt, "error": self.error}

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _korrelasjonsid(headers: httpx.Headers, body: str) -> str | None:
    for name in ("korrelasjonsid", "x-correlation-id", "x-request-id"):
        if name in headers:
            return headers[name]
    if body.startswith("{") and "korrelasjonsid" in body:
        try:
            value = json.loads(body).get("korrelasjonsid")
        except (ValueError, AttributeError):
            return None
        return str(value) if value is not None else None
    return None


@dataclass
class Evidence:
    """Collects exchanges for the whole run; thread-safe (the suite may run a few calls at once)."""

    redactor: Redactor = field(default_factory=Redactor)
    exchanges: list[Exchange] = field(default_factory=list)
    current: str | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _in_flight: int = 0
    max_in_flight: int = 0

    @contextmanager
    def check(self, nodeid: str) -> Iterator[None]:
        previous, self.current = self.current, nodeid
        try:
            yield
        finally:
            self.current = previous

    def for_check(self, nodeid: str) -> list[Exchange]:
        return [e for e in self.exchanges if e.check == nodeid]

    # -- httpx hooks ---------------------------------------------------------------------------
    def event_hooks(self, kind: str = "api") -> dict[str, list[Any]]:
        def on_request(request: httpx.Request) -> None:
            request.extensions["sbs_started"] = time.perf_counter()
            request.extensions["sbs_kind"] = kind
            with self._lock:
                self._in_flight += 1
                self.max_in_flight = max(self.max_in_flight, self._in_flight)

        def on_response(response: httpx.Response) -> None:
            response.read()
            self._finish(response.request)
            self.record(response.request, response)

        return {"request": [on_request], "response": [on_response]}

    def _finish(self, request: httpx.Request) -> None:
        with self._lock:
            self._in_flight = max(0, self._in_flight - 1)

    def record_failure(self, request: httpx.Request, error: Exception) -> None:
        """Record a request that got no response (connection refused, timeout, TLS)."""
        if "sbs_started" in request.extensions:
            self._finish(request)
        self.record(request, None, error=f"{type(error).__name__}: {error}")

    def record(self, request: httpx.Request, response: httpx.Response | None, error: str | None = None) -> Exchange:
        started = request.extensions.get("sbs_started", time.perf_counter())
        elapsed = (time.perf_counter() - started) * 1000
        r = self.redactor
        req_body = request.content.decode("utf-8", "replace") if request.content else ""
        resp_body = response.text[:MAX_BODY_CHARS] if response is not None else ""
        resp_ct = response.headers.get("content-type", "") if response is not None else ""
        with self._lock:
            exchange = Exchange(
                seq=len(self.exchanges) + 1,
                check=self.current,
                method=request.method,
                url=r.text(str(request.url)),
                request_headers=r.headers(request.headers),
                request_body=r.body(req_body, request.headers.get("content-type", "")),
                status=response.status_code if response is not None else None,
                response_headers=r.headers(response.headers) if response is not None else {},
                response_body=r.body(resp_body, resp_ct),
                elapsed_ms=elapsed,
                started=time.time(),
                korrelasjonsid=_korrelasjonsid(response.headers, resp_body) if response is not None else None,
                error=r.text(error) if error else None,
                kind=request.extensions.get("sbs_kind", "api"),
                attempt=int(request.extensions.get("sbs_attempt", 1)),
            )
            self.exchanges.append(exchange)
        return exchange
