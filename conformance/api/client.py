"""Clients for the two operations of the Trekkpålegg API, no business logic.

:class:`TrekkpaaleggClient` runs on httpx and records every exchange as evidence (the conformance suite);
:class:`KeepAliveTrekkpaaleggClient` runs the same operations on a lean kept-alive wire, for systems that
page at a high rate (the reference SBS client). Both share the operations in :class:`TrekkpaaleggOperations`.

``iter_alle`` implements the documented loop rule: ask with ``fraSekvensnummer`` and ``maksAntall``;
while a page is exactly ``maksAntall`` long, ask again from the largest ``sekvensnummer`` of that page.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from conformance import API_BASE_PATH
from conformance.api.wire import KeepAliveWire, WireResponse
from conformance.evidence import Evidence
from conformance.http import RetryPolicy, send, tls_context, with_retries

Trekkpaalegg = dict[str, Any]


class ApiError(Exception):
    """A non-200 answer where a list or a version was expected."""

    def __init__(self, response: httpx.Response | WireResponse) -> None:
        self.response = response
        self.status = response.status_code
        try:
            body = response.json()
        except ValueError:
            body = None
        self.feil: Mapping[str, Any] | None = body if isinstance(body, dict) else None
        kode = self.feil.get("kode") if self.feil else None
        if isinstance(response, httpx.Response):
            method, path = response.request.method, response.request.url.path
        else:
            method, path = response.method, response.path
        super().__init__(f"HTTP {self.status} from {method} {path}" + (f" (kode {kode})" if kode else ""))


class UnexpectedBody(Exception):
    """A 200 answer whose body is not the documented JSON shape."""


@dataclass(frozen=True)
class Side:
    """One page of the loop: what was asked and what came back."""

    fra: int
    maks: int
    items: list[Trekkpaalegg]

    @property
    def siste(self) -> bool:
        return len(self.items) < self.maks

    @property
    def hoeyeste_sekvensnummer(self) -> int | None:
        return max((int(i["sekvensnummer"]) for i in self.items), default=None)


class TrekkpaaleggOperations:
    """The operations, on top of one GET that subclasses provide (``_get``)."""

    def _get(self, path: str, params: Mapping[str, Any] | None = None) -> httpx.Response | WireResponse:
        raise NotImplementedError

    def hent_alle(self) -> list[Trekkpaalegg]:
        """Latest version of every trekkpålegg (no paging parameters)."""
        return _body(self._get(""), list, "list body", "a JSON array")

    def hent_side(self, fra: int, maks: int) -> list[Trekkpaalegg]:
        return _body(self._get("", {"fraSekvensnummer": fra, "maksAntall": maks}), list, "list body",
                     "a JSON array")

    def iter_sider(self, maks: int, fra: int = 0, max_pages: int | None = None) -> Iterator[Side]:
        """Pages by the loop rule, fetched lazily one at a time."""
        pages = 0
        while True:
            side = Side(fra, maks, self.hent_side(fra, maks))
            yield side
            pages += 1
            if side.siste or (max_pages is not None and pages >= max_pages):
                return
            nxt = side.hoeyeste_sekvensnummer
            if nxt is None or nxt <= fra:  # a server that does not advance would loop forever
                raise UnexpectedBody(f"paging does not advance: page from {fra} has highest sekvensnummer {nxt}")
            fra = nxt

    def iter_alle(self, maks: int, fra: int = 0) -> Iterator[Trekkpaalegg]:
        for side in self.iter_sider(maks, fra):
            yield from side.items

    def hent_versjon(self, trekkid: str, trekkversjon: int | str) -> Trekkpaalegg:
        return _body(self._get(f"/{trekkid}/{trekkversjon}"), dict, "version body", "an object")


class TrekkpaaleggClient(TrekkpaaleggOperations):
    """Client for ``/api/trekkpaalegg/v1`` on httpx, every exchange recorded as evidence. ``token``
    supplies the bearer token (None: send none)."""

    def __init__(self, base_url: str, token: Callable[[], str] | None, *, evidence: Evidence | None = None,
                 retry: RetryPolicy | None = None, timeout: float = 30.0,
                 verify: bool | str = True, http: httpx.Client | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.evidence = evidence
        self.retry = retry or RetryPolicy()
        self._http = http or httpx.Client(timeout=timeout, verify=tls_context(verify),
                                          event_hooks=evidence.event_hooks("api") if evidence else None)

    # -- raw access, for checks that send unusual requests --------------------------------------
    def request(self, path: str = "", *, params: Mapping[str, Any] | None = None,
                headers: Mapping[str, str] | None = None, token: str | bool | None = True) -> httpx.Response:
        """GET ``API_BASE_PATH + path``. ``token=True`` uses the client's token, a string that token,
        ``None``/``False`` sends no Authorization header."""
        merged = {"Accept": "application/json"}
        if token is True and self.token is not None:
            merged["Authorization"] = f"Bearer {self.token()}"
        elif isinstance(token, str):
            merged["Authorization"] = f"Bearer {token}"
        merged.update(headers or {})
        request = self._http.build_request("GET", f"{self.base_url}{API_BASE_PATH}{path}", params=params,
                                           headers=merged)
        return send(self._http, request, self.evidence, self.retry)

    def _get(self, path: str, params: Mapping[str, Any] | None = None) -> httpx.Response:
        return self.request(path, params=params)

    def close(self) -> None:
        self._http.close()


class KeepAliveTrekkpaaleggClient(TrekkpaaleggOperations):
    """The same operations over :class:`~conformance.api.wire.KeepAliveWire`: a fraction of httpx's cost
    per call, no evidence. Safe to share between threads."""

    def __init__(self, base_url: str, token: Callable[[], str], *, retry: RetryPolicy | None = None,
                 timeout: float = 30.0, verify: bool | str = True) -> None:
        self.token = token
        self.retry = retry or RetryPolicy()
        self._wire = KeepAliveWire(base_url.rstrip("/") + API_BASE_PATH, verify=verify, timeout=timeout)

    def _get(self, path: str, params: Mapping[str, Any] | None = None) -> WireResponse:
        def attempt(_: int) -> WireResponse:  # the token is asked for on every attempt: it may have been renewed
            headers = {"Accept": "application/json", "Authorization": f"Bearer {self.token()}"}
            return self._wire.get(path, params, headers)

        return with_retries(attempt, self.retry, self._wire.origin + API_BASE_PATH + path)

    def close(self) -> None:
        self._wire.close()


def _body(response: httpx.Response | WireResponse, kind: type, what: str, expected: str) -> Any:
    """The JSON body of a 200 answer, of the expected kind; ApiError or UnexpectedBody otherwise."""
    if response.status_code != 200:
        raise ApiError(response)
    try:
        body = response.json()
    except ValueError as exc:
        raise UnexpectedBody(f"body is not JSON (content-type {response.headers.get('content-type')!r})") from exc
    if not isinstance(body, kind):
        raise UnexpectedBody(f"{what} is {type(body).__name__}, expected {expected}")
    return body
