"""One way to send a request: bounded in time and size, retried with backoff, every attempt recorded as evidence.

Bounds (each is a fact the report can rely on):

- **per call**: ``CallLimits.timeout`` is a deadline for the whole call (connect, send, every read), not per
  read: a server dripping one byte a second is cut off at the deadline. It is enforced in the socket layer
  (:class:`DeadlineBackend`), so httpx's own per-read timeouts still apply below it.
- **per run**: ``CallLimits.run_deadline``; once it passes every call raises
  :class:`~conformance.errors.RunDeadlineReached` and is not retried.
- **per body**: ``CallLimits.max_body`` bytes (decoded); a longer answer ends the call with
  :class:`~conformance.errors.BodyTooLarge` without ever holding more than that in memory.
- **circuit breaker**: once a host gave no answer after every attempt (refused, DNS, TLS, timeout), further
  calls to it fail at once with the same cause, so a dead target ends a run in seconds.

Retried: connection errors and timeouts, 429 (honouring a sane ``Retry-After``), 502/503/504. Anything else is
returned to the caller to judge. After the last attempt a transport error becomes
:class:`~conformance.errors.TargetUnreachable` (exit code 3), never a conformance failure.
"""

from __future__ import annotations

import email.utils
import functools
import math
import ssl
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

import httpcore
import httpx

from conformance.errors import BodyTooLarge, RunDeadlineReached, TargetUnreachable
from conformance.messages import Message

RETRY_STATUSES = frozenset({429, 502, 503, 504})
DEFAULT_MAX_BODY = 20 * 1024 * 1024
#: Skatteetaten's correlation header: a fresh UUID on every call (a retry is a new call) lets support find it.
CORRELATION_HEADER = "Korrelasjonsid"
KEEP_STREAMED = 200_000  # bytes of a streamed body kept for the evidence (as much as it keeps of any body)


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """``Retry-After`` as seconds: a non-negative number or an HTTP date; None when absent or not sane
    (negative, NaN, infinite, garbage), so that a hostile header can never break or stall the run."""
    if value is None:
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            moment = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if moment is None:
            return None
        seconds = moment.timestamp() - (now if now is not None else time.time())
    if not math.isfinite(seconds) or seconds < 0:
        return None
    return seconds


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 3
    backoff: float = 0.5  # first wait, doubled per attempt
    max_wait: float = 10.0
    retry_statuses: frozenset[int] = RETRY_STATUSES
    sleep: Callable[[float], None] = time.sleep

    def wait_for(self, attempt: int, response: Answer | None) -> float:
        if response is not None:
            after = retry_after_seconds(response.headers.get("retry-after"))
            if after is not None:
                return min(after, self.max_wait)
        return min(self.backoff * (2 ** (attempt - 1)), self.max_wait)


NO_RETRY = RetryPolicy(attempts=1)


def new_korrelasjonsid() -> str:
    return str(uuid.uuid4())


# -- bounds ----------------------------------------------------------------------------------------------


@dataclass
class Breaker:
    """Hosts that gave no answer after every attempt, with the cause (thread-safe)."""

    _open: dict[str, TargetUnreachable] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def trip(self, host: str, error: TargetUnreachable) -> None:
        with self._lock:
            self._open.setdefault(host, error)

    def check(self, host: str) -> None:
        with self._lock:
            error = self._open.get(host)
        if error is not None:
            again = TargetUnreachable(error.cause, error.hint,
                                      Message("net.unreachable_before", {"cause": error.message or error.cause}))
            again.hint_message = error.hint_message
            raise again

    @property
    def tripped(self) -> TargetUnreachable | None:
        with self._lock:
            return next(iter(self._open.values()), None)


@dataclass
class CallLimits:
    """The bounds of every call a run makes (one object per run, shared by its clients)."""

    timeout: float = 30.0
    max_body: int = DEFAULT_MAX_BODY
    run_deadline: float | None = None  # time.monotonic() value
    breaker: Breaker = field(default_factory=Breaker)

    def check_run_deadline(self) -> None:
        if self.run_deadline is not None and time.monotonic() >= self.run_deadline:
            raise RunDeadlineReached("the run's --deadline passed", "raise --deadline, or select fewer checks")

    def call_deadline(self) -> float:
        deadline = time.monotonic() + self.timeout
        return deadline if self.run_deadline is None else min(deadline, self.run_deadline)


UNBOUNDED = CallLimits(timeout=3600.0, max_body=1 << 40)

_call = threading.local()  # the deadline (and whether it is the run's) of the call this thread is making


@contextmanager
def _deadline(limits: CallLimits) -> Iterator[None]:
    previous = getattr(_call, "state", None)
    deadline = limits.call_deadline()
    _call.state = (deadline, limits.run_deadline is not None and deadline >= limits.run_deadline, limits.timeout)
    try:
        yield
    finally:
        _call.state = previous


def _remaining(timeout: float | None) -> float | None:
    """The socket timeout for the next operation: httpx's, clamped to what is left of the call's deadline."""
    state = getattr(_call, "state", None)
    if state is None:
        return timeout
    deadline, is_run_deadline, seconds = state
    left = deadline - time.monotonic()
    if left <= 0:
        if is_run_deadline:
            raise RunDeadlineReached("the run's --deadline passed during a call", "raise --deadline")
        raise httpcore.ReadTimeout(f"the call's deadline (--timeout {seconds:g} s) passed")
    return left if timeout is None else min(timeout, left)


def _bounded(operation: Callable[[float | None], Any], timeout: float | None) -> Any:
    """Run a socket operation with the clamped timeout; a timeout caused by the deadline says so."""
    try:
        return operation(_remaining(timeout))
    except (httpcore.ReadTimeout, httpcore.WriteTimeout, httpcore.ConnectTimeout):
        state = getattr(_call, "state", None)
        if state is not None and time.monotonic() >= state[0] - 0.01:
            _remaining(0)  # raises the deadline's own error
        raise


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return _bounded(lambda t: self._inner.read(max_bytes, t), timeout)

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        _bounded(lambda t: self._inner.write(buffer, t), timeout)

    def close(self) -> None:
        self._inner.close()

    def start_tls(self, ssl_context: ssl.SSLContext, server_hostname: str | None = None,
                  timeout: float | None = None) -> httpcore.NetworkStream:
        return _DeadlineStream(self._inner.start_tls(ssl_context, server_hostname, _remaining(timeout)))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class DeadlineBackend(httpcore.NetworkBackend):
    """httpcore's socket layer with every operation bounded by the current call's deadline."""

    def __init__(self, inner: httpcore.NetworkBackend | None = None) -> None:
        self._inner = inner or httpcore.SyncBackend()

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                    socket_options: Any = None) -> httpcore.NetworkStream:
        return _DeadlineStream(self._inner.connect_tcp(host, port, _remaining(timeout), local_address,
                                                       socket_options))

    def connect_unix_socket(self, path: str, timeout: float | None = None,
                            socket_options: Any = None) -> httpcore.NetworkStream:
        return _DeadlineStream(self._inner.connect_unix_socket(path, _remaining(timeout), socket_options))

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


@functools.cache
def tls_context(verify: bool | str) -> ssl.SSLContext:
    """httpx's ``verify`` (True: the system's CAs, False: no check, or a CA file's path) as one context per value,
    shared by every client of the process: loading the CA bundle costs ~30 ms, and a run opens a dozen clients."""
    if isinstance(verify, str):
        return ssl.create_default_context(cafile=verify)
    return httpx.create_ssl_context(verify=verify)


class _Cookies(httpx.Cookies):
    """httpx's cookie store, which looks at an answer's cookies only when it sets one. httpx builds a
    ``urllib.request.Request`` (parsing the URL again) for every answer before the cookie jar finds no
    ``Set-Cookie``: a sixth of a call's CPU; Skatteetaten's APIs set none."""

    def extract_cookies(self, response: httpx.Response) -> None:
        if "set-cookie" in response.headers:
            super().extract_cookies(response)


def bounded_client(*, timeout: float = 30.0, verify: bool | str = True) -> httpx.Client:
    """An httpx client whose every connection (also through proxies from the environment) runs on the
    :class:`DeadlineBackend`, so :func:`send` can bound whole calls."""
    from conformance.wire import WireTransport  # it builds on this module

    context = tls_context(verify)
    client = httpx.Client(timeout=timeout, verify=context)
    client._cookies = _Cookies()  # the setter would wrap it in a plain httpx.Cookies
    for transport in (client._transport, *client._mounts.values()):  # httpx builds one pool per proxy
        pool = getattr(transport, "_pool", None)
        if pool is not None and hasattr(pool, "_network_backend"):
            pool._network_backend = DeadlineBackend(pool._network_backend)
    # Direct connections go over the lean wire; proxies from the environment (the mounts) keep httpcore's.
    client._transport = WireTransport(context, DeadlineBackend(), fallback=client._transport)
    return client


def describe_transport_error(exc: httpx.TransportError, url: str) -> TargetUnreachable:
    """The error for a request that got no response: a one-line cause and hint, also as messages."""
    host = httpx.URL(url).host
    text = str(exc)
    if isinstance(exc, httpx.ConnectTimeout | httpx.ReadTimeout | httpx.WriteTimeout | httpx.PoolTimeout):
        cause, kind = f"timeout talking to {host} ({text or type(exc).__name__})", "timeout"
        message = Message("net.timeout", {"host": host})
    elif "Name or service not known" in text or "nodename nor servname" in text or "getaddrinfo" in text:
        cause, kind, message = f"DNS lookup failed for {host}", "dns", Message("net.dns", {"host": host})
    elif "CERTIFICATE_VERIFY_FAILED" in text or "SSL" in text:
        cause, kind, message = f"TLS handshake with {host} failed: {text}", "tls", Message("net.tls", {"host": host})
    elif "refused" in text.lower():
        cause, kind, message = f"connection refused by {url}", "refused", Message("net.refused", {"url": url})
    else:
        cause, kind = f"cannot reach {url}: {type(exc).__name__} {text}".strip(), "other"
        message = Message.text(cause)
    hint = Message(f"net.hint_{kind}")
    error = TargetUnreachable(cause, hint.render("en"), message)
    error.hint_message = hint
    return error


class Answer(Protocol):
    """What the retry loop needs of a response (an httpx.Response or a wire response)."""

    status_code: int
    headers: Mapping[str, str]


A = TypeVar("A", bound=Answer)


def with_retries(attempt: Callable[[int], A], policy: RetryPolicy, url: str,
                 on_transport_error: Callable[[httpx.TransportError], None] | None = None,
                 limits: CallLimits | None = None) -> A:
    """Call ``attempt(n)`` for n = 1, 2, ... until it returns an answer that is not retried, or the
    policy's attempts are used up (then the last answer is returned, or a transport error raised as
    :class:`TargetUnreachable`). No wait goes past the run's deadline."""
    for n in range(1, policy.attempts + 1):
        if limits is not None:
            limits.check_run_deadline()
        try:
            answer = attempt(n)
        except httpx.TransportError as exc:
            if on_transport_error is not None:
                on_transport_error(exc)
            if n == policy.attempts:
                raise describe_transport_error(exc, url) from exc
            _sleep(policy, policy.wait_for(n, None), limits)
            continue
        if answer.status_code in policy.retry_statuses and n < policy.attempts:
            _sleep(policy, policy.wait_for(n, answer), limits)
            continue
        return answer
    raise AssertionError("unreachable")  # pragma: no cover


def _sleep(policy: RetryPolicy, seconds: float, limits: CallLimits | None) -> None:
    if limits is not None and limits.run_deadline is not None:
        seconds = min(seconds, max(0.0, limits.run_deadline - time.monotonic()))
    policy.sleep(seconds)


class BodySink(Protocol):
    """Where a streamed body goes, chunk by chunk; ``reset`` starts over (a retried call sends it again)."""

    def write(self, chunk: bytes) -> None: ...

    def reset(self) -> None: ...


def _read_capped(response: httpx.Response, max_body: int, consume: BodySink | None = None,
                 keep: int = 0) -> None:
    """Read the (decoded) body into the response, ending the call once it passes ``max_body``. With ``consume``
    (for a 200 answer) the chunks go there instead, and only the first ``keep`` bytes stay in the response
    (for the evidence): a long answer is never held in memory."""
    declared = response.headers.get("content-length", "")
    too_large = BodyTooLarge(
        f"the answer to {response.request.method} {response.request.url.path} was larger than --max-body "
        f"{max_body:,} bytes", "raise --max-body if such an answer is expected",
        Message("net.body_too_large", {"method": response.request.method, "path": response.request.url.path,
                                       "limit": f"{max_body:,}"}))
    if declared.isdigit() and int(declared) > max_body:
        raise too_large
    streamed = consume is not None and response.status_code == 200
    chunks, size, kept = [], 0, 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > max_body:
            raise too_large
        if streamed:
            if consume is not None:
                try:
                    consume.write(chunk)
                except ValueError as exc:  # the body is not what the sink takes: the caller judges that
                    response.extensions["sbs_stream_error"] = exc
                    consume = None
            if kept < keep:
                chunks.append(chunk[:keep - kept])
                kept += len(chunks[-1])
        else:
            chunks.append(chunk)
    response._content = b"".join(chunks)  # what Response.read() would set, had it read the same chunks
    response.extensions["sbs_streamed"] = streamed  # the content is then only the body's beginning
    response.extensions["sbs_body_size"] = size  # of the whole body (conformance.evidence.body_size)


def send(client: httpx.Client, request: httpx.Request, evidence: Any = None, policy: RetryPolicy = NO_RETRY,
         limits: CallLimits | None = None, kind: str = "api", consume: BodySink | None = None) -> httpx.Response:
    """Send within ``limits`` with retries; every attempt (answered or not) is recorded as evidence. With
    ``consume``, the body of a 200 answer is handed over chunk by chunk instead of being kept (the response then
    holds only its beginning, as much as the evidence keeps)."""
    limits = limits or CallLimits()
    host = request.url.host
    limits.breaker.check(host)

    def attempt(n: int) -> httpx.Response:
        if consume is not None:
            consume.reset()
        if n > 1 and CORRELATION_HEADER in request.headers:  # never the same korrelasjonsid twice
            request.headers[CORRELATION_HEADER] = new_korrelasjonsid()
        started = evidence.begin() if evidence is not None else time.perf_counter()
        try:
            with _deadline(limits):
                response = client.send(request, stream=True)
                try:
                    _read_capped(response, limits.max_body, consume, KEEP_STREAMED)
                finally:
                    response.close()
        except (httpx.TransportError, BodyTooLarge, RunDeadlineReached) as exc:
            if evidence is not None:
                evidence.record(request, None, started=started, attempt=n, kind=kind,
                                error=f"{type(exc).__name__}: {exc}")
            raise
        if evidence is not None:
            evidence.record(request, response, started=started, attempt=n, kind=kind)
        return response

    try:
        return with_retries(attempt, policy, str(request.url), limits=limits)
    except TargetUnreachable as exc:
        limits.breaker.trip(host, exc)
        raise
