"""One way to send a request: bounded retries with backoff, every attempt recorded as evidence.

Retried: connection errors and timeouts, 429 (honouring ``Retry-After``), 502/503/504. Anything else is
returned to the caller to judge. After the last attempt a transport error becomes
:class:`~conformance.errors.TargetEnvironmentError` (exit code 3), never a conformance failure.
"""

from __future__ import annotations

import ssl
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol, TypeVar

import httpx

from conformance.errors import TargetEnvironmentError
from conformance.evidence import Evidence

RETRY_STATUSES = frozenset({429, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 3
    backoff: float = 0.5  # first wait, doubled per attempt
    max_wait: float = 10.0
    retry_statuses: frozenset[int] = RETRY_STATUSES
    sleep: Callable[[float], None] = time.sleep

    def wait_for(self, attempt: int, response: Answer | None) -> float:
        if response is not None and "retry-after" in response.headers:
            try:
                return min(float(response.headers["retry-after"]), self.max_wait)
            except ValueError:
                pass
        return min(self.backoff * (2 ** (attempt - 1)), self.max_wait)


NO_RETRY = RetryPolicy(attempts=1)


def tls_context(verify: bool | str) -> bool | ssl.SSLContext:
    """httpx's ``verify``: True (system CAs), False (no check) or a CA file's path, as a context for that file."""
    return ssl.create_default_context(cafile=verify) if isinstance(verify, str) else verify


def describe_transport_error(exc: httpx.TransportError, url: str) -> tuple[str, str]:
    """(cause, hint) in one line each, for a request that got no response."""
    host = httpx.URL(url).host
    if isinstance(exc, httpx.ConnectTimeout | httpx.ReadTimeout | httpx.WriteTimeout | httpx.PoolTimeout):
        return (f"timeout talking to {host}",
                "the service may be down (test env: support 08-15 on weekdays); raise --timeout")
    text = str(exc)
    if "Name or service not known" in text or "nodename nor servname" in text or "getaddrinfo" in text:
        return f"DNS lookup failed for {host}", "check the URL and your network/proxy settings"
    if "CERTIFICATE_VERIFY_FAILED" in text or "SSL" in text:
        return f"TLS handshake with {host} failed: {text}", "check proxies that intercept TLS, or the CA bundle"
    if "refused" in text.lower():
        return f"connection refused by {url}", "is the service running and the port right?"
    return f"cannot reach {url}: {type(exc).__name__} {text}".strip(), "check the URL and network access"


class Answer(Protocol):
    """What the retry loop needs of a response (an httpx.Response or a wire response)."""

    status_code: int
    headers: Mapping[str, str]


A = TypeVar("A", bound=Answer)


def with_retries(attempt: Callable[[int], A], policy: RetryPolicy, url: str,
                 on_transport_error: Callable[[httpx.TransportError], None] | None = None) -> A:
    """Call ``attempt(n)`` for n = 1, 2, ... until it returns an answer that is not retried, or the
    policy's attempts are used up (then the last answer is returned, or a transport error raised as
    :class:`TargetEnvironmentError`)."""
    for n in range(1, policy.attempts + 1):
        try:
            answer = attempt(n)
        except httpx.TransportError as exc:
            if on_transport_error is not None:
                on_transport_error(exc)
            if n == policy.attempts:
                cause, hint = describe_transport_error(exc, url)
                raise TargetEnvironmentError(cause, hint) from exc
            policy.sleep(policy.wait_for(n, None))
            continue
        if answer.status_code in policy.retry_statuses and n < policy.attempts:
            policy.sleep(policy.wait_for(n, answer))
            continue
        return answer
    raise AssertionError("unreachable")  # pragma: no cover


def send(client: httpx.Client, request: httpx.Request, evidence: Evidence | None,
         policy: RetryPolicy = NO_RETRY) -> httpx.Response:
    """Send with retries, every attempt recorded as evidence (its number in ``extensions["sbs_attempt"]``)."""

    def attempt(n: int) -> httpx.Response:
        request.extensions["sbs_attempt"] = n
        return client.send(request)

    def record(exc: httpx.TransportError) -> None:
        if evidence is not None:
            evidence.record_failure(request, exc)

    return with_retries(attempt, policy, str(request.url), record)
