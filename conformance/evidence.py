"""Evidence: every HTTP exchange of a run, recorded once and redacted once, here, and streamed to disk.

Redaction works in layers before anything leaves this module:

1. by name: headers and JSON/form keys such as ``Authorization``, ``assertion``, ``access_token``;
2. by value: every secret registered with :class:`Redactor` (tokens, assertions, key material) is
   replaced wherever it appears, also URL-encoded and inside bodies;
3. by shape: anything that looks like a JWT (also a JWT cut in half: a base64url JSON header ``eyJ…``
   with or without payload and signature) or a PEM private key.

Exchanges are attributed to the check that was running when they were made (``Evidence.current``). The full
exchange (headers, bodies) goes to a spool file as it is recorded; memory keeps a short summary of at most
:data:`LISTED_PER_CHECK` exchanges per check (plus the failing ones), the latencies and the counts, so paging
a hundred thousand items does not grow the process.
"""

from __future__ import annotations

import bisect
import codecs
import re
import shutil
import tempfile
import threading
import time
import urllib.parse
from array import array
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields
from pathlib import Path
from typing import IO, Any

import httpx
import orjson

REDACTED = "[REDACTED]"
SECRET_NAMES = frozenset(
    {"authorization", "proxy-authorization", "assertion", "access_token", "refresh_token", "id_token",
     "client_secret", "password", "private_key", "cookie", "set-cookie", "altinnsamtykke", "samtykketoken"}
)
PEM_BLOCK = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(?:-----END [A-Z ]*PRIVATE KEY-----|\Z)", re.S)
#: A JWT or any piece of one: ``eyJ`` (base64url of ``{"``) and at least ten more base64url characters, with
#: up to two more dot-separated parts. A truncated token answer still matches.
JWT_FRAGMENT = re.compile(r"eyJ[A-Za-z0-9_-]{10,}(?:\.[A-Za-z0-9_-]*){0,2}")
#: A text with any of these may change when redacted: an escape (JSON, XML entity), a JWT's start, key material.
_CHANGED_BY = ("\\", "&", "eyJ", "-----BEGIN")
MAX_BODY_CHARS = 200_000  # of one body kept in the evidence
LISTED_PER_CHECK = 1000  # exchange summaries kept per check (more are counted, and failing ones kept)


class Redactor:
    """Registry of secret values; :meth:`text` replaces every registered value and known shape."""

    def __init__(self) -> None:
        self._secrets: dict[str, str] = {}
        self._ordered: tuple[list[tuple[str, str]], list[int]] = ([], [])
        self._unmarked: list[str] = []
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
            ordered = sorted(self._secrets.items(), key=lambda kv: -len(kv[0]))
            # Longest first (a secret containing another is replaced whole); with the lengths (negated, so they
            # ascend for bisect) a text skips at once every secret longer than itself: most texts are short.
            self._ordered = (ordered, [-len(secret) for secret, _ in ordered])
            # A secret holding one of those marks is in a text only if the mark is: tokens and assertions (JWTs)
            # and keys need no search of their own in :meth:`_unchanged`.
            self._unmarked = [secret for secret, _ in ordered if not any(m in secret for m in _CHANGED_BY)]

    @property
    def secrets(self) -> list[str]:
        with self._lock:
            return list(self._secrets)

    def labelled(self) -> dict[str, str]:
        """Every registered secret with its label (what kind of secret it is)."""
        with self._lock:
            return dict(self._secrets)

    def text(self, value: str) -> str:
        items, lengths = self._ordered  # replaced as a whole on register: safe to read without the lock
        for i in range(bisect.bisect_left(lengths, -len(value)), len(items)):
            secret, label = items[i]
            if secret in value:
                value = value.replace(secret, f"[REDACTED:{label}]")
        if "-----BEGIN" in value:
            value = PEM_BLOCK.sub("[REDACTED:private-key]", value)
        if "eyJ" in value:
            value = JWT_FRAGMENT.sub("[REDACTED:jwt]", value)
        return value

    def headers(self, headers: httpx.Headers | dict[str, str]) -> dict[str, str]:
        return {k: (REDACTED if k.lower() in SECRET_NAMES else self.text(v)) for k, v in headers.items()}

    def body(self, raw: str, content_type: str, whole: bool = True) -> str:
        """A body with secrets replaced: by key in JSON and XML (:mod:`conformance.codecs`), a form by field, and
        every registered value and known shape anywhere. Only the beginning of a body (not ``whole``) is free
        text."""
        if "x-www-form-urlencoded" in content_type:
            pairs = urllib.parse.parse_qsl(raw, keep_blank_values=True)
            return urllib.parse.urlencode(
                [(k, REDACTED if k.lower() in SECRET_NAMES else self.text(v)) for k, v in pairs])
        if not raw or self._unchanged(raw):
            return raw
        from conformance.codecs import rewrite_text

        return rewrite_text(content_type, raw, _secret_key, self.text, whole)

    def _unchanged(self, raw: str) -> bool:
        """True when redaction cannot change ``raw``: it has no escape of any kind (a backslash, an XML entity), so
        every value in it appears verbatim, and no secret-named key, no registered secret, no key or token shape.
        Most API bodies: they are kept as they came, without parsing and writing them again."""
        if any(marker in raw for marker in _CHANGED_BY):
            return False
        lowered = raw.lower()
        if any(name in lowered for name in SECRET_NAMES):
            return False
        return not any(secret in raw for secret in self._unmarked)

    def reapply(self, e: Exchange) -> None:
        """Redact an already recorded exchange again with every secret registered since (before writing)."""
        e.url = self.text(e.url)
        e.request_headers = {k: self.text(v) for k, v in e.request_headers.items()}
        e.response_headers = {k: self.text(v) for k, v in e.response_headers.items()}
        e.request_body = self.text(e.request_body)
        e.response_body = self.text(e.response_body)
        e.error = self.text(e.error) if e.error else None



def _secret_key(key: str, value: str) -> str | None:
    return REDACTED if key.lower() in SECRET_NAMES else None


def body_size(response: httpx.Response) -> int:
    """Bytes of the whole (decoded) body: a streamed answer's content holds only its beginning, and
    :func:`conformance.http.send` notes the size it read."""
    return int(response.extensions.get("sbs_body_size", len(response.content)))


def kept_body(response: httpx.Response, limit: int = MAX_BODY_CHARS) -> tuple[str, bool]:
    """(the first ``limit`` characters of the body, whether that is less than the whole body). Decoded as
    ``response.text`` decodes it (the response's encoding, errors replaced), without decoding the rest:
    ``response.text`` would decode a long page whole and keep that copy as long as the response lives. The first
    ``4 * limit`` bytes hold them in UTF-8, UTF-16, UTF-32 and the one-byte charsets; an encoding with longer
    sequences (UTF-7, ISO-2022) is decoded on as far as needed. A streamed answer's content is only its beginning
    (:func:`body_size` tells the whole)."""
    content = response.content
    partial = body_size(response) > len(content)
    if not content:
        return "", partial
    decoder = codecs.getincrementaldecoder(response.encoding or "utf-8")(errors="replace")
    text = decoder.decode(content[:4 * limit], final=len(content) <= 4 * limit)
    if len(text) < limit and len(content) > 4 * limit:
        text += decoder.decode(content[4 * limit:], final=True)
    elif len(content) > 4 * limit:  # bytes are left after `limit` characters: they decode to one more at least
        partial = True
    return text[:limit], partial or len(text) > limit


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
    response_size: int | None = None  # bytes of the whole response body (None: those of response_body)
    response_cut: bool = False  # response_body is the body's beginning only (MAX_BODY_CHARS characters)

    def summary(self) -> dict[str, Any]:
        return {"seq": self.seq, "method": self.method, "url": self.url, "status": self.status,
                "elapsed_ms": round(self.elapsed_ms, 1), "korrelasjonsid": self.korrelasjonsid,
                "kind": self.kind, "attempt": self.attempt, "error": self.error}

    def to_dict(self) -> dict[str, Any]:
        # Shallow: the fields are plain values and dicts of strings (asdict's deep copy cost ~0.3 ms a call).
        return {f.name: getattr(self, f.name) for f in _EXCHANGE_FIELDS}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Exchange:
        return cls(**{f.name: data[f.name] for f in fields(cls) if f.name in data})


def korrelasjonsid_of(headers: httpx.Headers | dict[str, str], body: str) -> str | None:
    """The answer's korrelasjonsid: a response header, or the error body's field, JSON or XML (else the exchange
    shows the one the request sent)."""
    lowered = {k.lower(): v for k, v in headers.items()}
    for name in ("korrelasjonsid", "x-correlation-id", "x-request-id"):
        if name in lowered:
            return lowered[name]
    if "korrelasjonsid" in body[:20_000]:
        from conformance.codecs import error_fields

        fields = error_fields(lowered.get("content-type", ""), body)
        value = fields.get("korrelasjonsid") if fields else None
        return str(value) if value else None
    return None


def _default_operation(kind: str, url: str) -> str:
    return kind


class Evidence:
    """Collects the exchanges of a whole run; thread-safe (the suite may run a few calls at once)."""

    def __init__(self, redactor: Redactor | None = None, *, spool_dir: Path | None = None,
                 operation: Callable[[str, str], str] = _default_operation) -> None:
        self.redactor = redactor or Redactor()
        self.current: str | None = None
        self.operation = operation
        self.count = 0
        self.by_kind: dict[str, int] = defaultdict(int)  # answered or not, per kind ("api", "token")
        self.max_in_flight = 0
        self.latencies: dict[str, array[float]] = defaultdict(lambda: array("d"))
        self._listed: dict[str | None, list[dict[str, Any]]] = defaultdict(list)
        self._counts: dict[str | None, int] = defaultdict(int)
        self._relied: dict[str, set[int]] = defaultdict(set)
        self._shown: dict[str, set[int]] = defaultdict(set)  # relied-on exchanges a check lists as its own
        self._by_seq: dict[int, dict[str, Any]] = {}  # the listed summaries, by seq
        self._in_flight = 0
        self._lock = threading.Lock()
        # Open for the evidence's whole life; closed by close(). Appending: reads never move the write position.
        self._spool: IO[bytes] = tempfile.TemporaryFile(mode="a+b", dir=spool_dir, prefix="sbs-evidence-")  # noqa: SIM115

    # -- attribution -----------------------------------------------------------------------------------
    @contextmanager
    def check(self, nodeid: str) -> Iterator[None]:
        previous, self.current = self.current, nodeid
        try:
            yield
        finally:
            self.current = previous

    def for_check(self, nodeid: str | None) -> list[dict[str, Any]]:
        """Summaries of the exchanges the check made (at most :data:`LISTED_PER_CHECK` plus failing ones) and of
        those it relied on and judged (a cached list, shared error samples), in call order."""
        with self._lock:
            own = list(self._listed.get(nodeid, ()))
            shown = self._shown.get(nodeid or "", set())
            if not shown:
                return own
            seqs = {x["seq"] for x in own}
            relied = [{**self._by_seq[n], "relied": True} for n in sorted(shown)
                      if n in self._by_seq and n not in seqs][:LISTED_PER_CHECK]
        return sorted(own + relied, key=lambda x: x["seq"])

    def count_for(self, nodeid: str | None) -> int:
        with self._lock:
            return self._counts.get(nodeid, 0)

    def rely_on(self, seqs: set[int] | range, nodeid: str | None = None, show: bool = True) -> None:
        """Note that a check judged exchanges made earlier (a cached token or list): it did use calls. With
        ``show`` they are listed with the check (not for checks that judge every call of the run)."""
        target = nodeid or self.current
        if target is not None and seqs:
            with self._lock:
                self._relied[target].update(seqs)
                if show:
                    self._shown[target].update(seqs)

    def relied_on(self, nodeid: str) -> int:
        with self._lock:
            return len(self._relied.get(nodeid, ()))

    @property
    def last_seq(self) -> int:
        return self.count

    # -- recording -------------------------------------------------------------------------------------
    def begin(self) -> float:
        """A call starts: counted in flight; returns its start time."""
        with self._lock:
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)
        return time.perf_counter()

    def record(self, request: httpx.Request, response: httpx.Response | None, *, started: float,
               attempt: int = 1, kind: str = "api", error: str | None = None) -> dict[str, Any]:
        """Record one finished attempt (response read, or the error instead) and end its in-flight count."""
        elapsed = (time.perf_counter() - started) * 1000
        r = self.redactor
        req_body = request.content.decode("utf-8", "replace") if request.content else ""
        resp_body, cut = kept_body(response) if response is not None else ("", False)
        resp_ct = response.headers.get("content-type", "") if response is not None else ""
        exchange = Exchange(
            seq=0, check=self.current, method=request.method, url=r.text(str(request.url)),
            request_headers=r.headers(request.headers),
            request_body=r.body(req_body, request.headers.get("content-type", "")),
            status=response.status_code if response is not None else None,
            response_headers=r.headers(response.headers) if response is not None else {},
            response_body=r.body(resp_body, resp_ct, whole=not cut), elapsed_ms=elapsed, started=time.time(),
            korrelasjonsid=(korrelasjonsid_of(response.headers, resp_body) if response is not None else None)
            or request.headers.get("korrelasjonsid"),
            error=r.text(error) if error else None, kind=kind, attempt=attempt,
            response_size=body_size(response) if response is not None else None, response_cut=cut)
        with self._lock:
            self._in_flight = max(0, self._in_flight - 1)
            self.count += 1
            exchange.seq = self.count
            self._spool.write(orjson.dumps(exchange.to_dict()) + b"\n")
            summary = exchange.summary()
            listed = self._listed[exchange.check]
            failing = exchange.status is None or exchange.status >= 400
            if len(listed) < LISTED_PER_CHECK or (failing and len(listed) < 2 * LISTED_PER_CHECK):
                listed.append(summary)
                self._by_seq[exchange.seq] = summary
            self._counts[exchange.check] += 1
            self.by_kind[kind] += 1
            if exchange.status is not None:
                self.latencies[self.operation(kind, str(request.url))].append(elapsed)
        return summary

    def iter_exchanges(self) -> Iterator[Exchange]:
        """Every exchange recorded so far, in order, read back from the spool a chunk at a time (the spool is
        opened for appending, so reading never disturbs where the next record is written)."""
        offset, rest = 0, b""
        while True:
            with self._lock:
                self._spool.flush()
                self._spool.seek(offset)
                chunk = self._spool.read(1 << 20)
            if not chunk:
                return
            offset += len(chunk)
            lines = (rest + chunk).split(b"\n")
            rest = lines.pop()
            for line in lines:
                if line:
                    yield Exchange.from_dict(orjson.loads(line))

    def export(self, path: Path) -> int:
        """Copy the spool (one redacted exchange per line) to ``path``, for another process to merge (a
        pytest-xdist worker hands its evidence to the controller this way); returns the number of exchanges."""
        with self._lock:
            self._spool.flush()
            self._spool.seek(0)
            with path.open("wb") as out:
                shutil.copyfileobj(self._spool, out)
            return self.count

    @property
    def exchanges(self) -> list[Exchange]:
        """Every exchange so far, read from the spool into a list (convenient for small runs; a large run
        should iterate :meth:`iter_exchanges`)."""
        return list(self.iter_exchanges())

    def close(self) -> None:
        self._spool.close()


def read_spools(paths: list[Path], offsets: list[int]) -> Iterator[Exchange]:
    """Exchanges of several exported spools, in order, each spool's ``seq`` shifted by its offset."""
    for path, offset in zip(paths, offsets, strict=True):
        with path.open("rb") as f:
            for line in f:
                if line.strip():
                    e = Exchange.from_dict(orjson.loads(line))
                    e.seq += offset
                    yield e


_EXCHANGE_FIELDS = fields(Exchange)
