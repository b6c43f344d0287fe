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
from conformance.api.liste import Liste
from conformance.api.wire import KeepAliveWire, WireResponse
from conformance.evidence import Evidence
from conformance.http import (
    CORRELATION_HEADER,
    BodySink,
    CallLimits,
    RetryPolicy,
    bounded_client,
    new_korrelasjonsid,
    send,
    with_retries,
)
from conformance.itemstream import MalformedArray
from conformance.messages import Message

Trekkpaalegg = dict[str, Any]


class ApiError(Exception):
    """A non-200 answer where a list or a version was expected (a conformance failure of the call)."""

    is_conformance_failure = True

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
        params = {"status": self.status, "method": method, "path": path}
        self.message = Message("api.http_error_kode", {**params, "kode": kode}) if kode else Message(
            "api.http_error", params)
        super().__init__(self.message.render("en"))


class UnexpectedBody(Exception):
    """A 200 answer whose body is not the documented JSON shape (a conformance failure of the call)."""

    is_conformance_failure = True

    def __init__(self, message: Message) -> None:
        super().__init__(message.render("en"))
        self.message = message


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
        return _body(self._get(""), list, "api.list_not_array")

    def hent_side(self, fra: int, maks: int) -> list[Trekkpaalegg]:
        return _body(self._get("", {"fraSekvensnummer": fra, "maksAntall": maks}), list, "api.list_not_array")

    def iter_sider(self, maks: int, fra: int = 0, max_pages: int | None = None,
                   expected_items: int | None = None) -> Iterator[Side]:
        """Pages by the loop rule, fetched lazily one at a time. With ``expected_items`` (the size of the unpaged
        list) a server that keeps sending full pages beyond them is stopped: it would never let the loop end."""
        pages = 0
        bound = None if expected_items is None else expected_items // maks + 1
        while True:
            side = Side(fra, maks, self.hent_side(fra, maks))
            yield side
            pages += 1
            if side.siste or (max_pages is not None and pages >= max_pages):
                return
            nxt = side.hoeyeste_sekvensnummer
            if nxt is None or nxt <= fra:  # a server that does not advance would loop forever
                raise UnexpectedBody(Message("api.not_advancing", {"fra": fra, "highest": nxt}))
            if bound is not None and pages >= bound:
                raise UnexpectedBody(Message("api.too_many_pages", {"pages": bound, "maks": maks,
                                                                    "count": expected_items}))
            fra = nxt

    def iter_alle(self, maks: int, fra: int = 0) -> Iterator[Trekkpaalegg]:
        for side in self.iter_sider(maks, fra):
            yield from side.items

    def hent_versjon(self, trekkid: str, trekkversjon: int | str) -> Trekkpaalegg:
        return _body(self._get(f"/{trekkid}/{trekkversjon}"), dict, "api.version_not_object")


class TrekkpaaleggClient(TrekkpaaleggOperations):
    """Client for ``/api/trekkpaalegg/v1`` on httpx, every exchange recorded as evidence. ``token``
    supplies the bearer token (None: send none)."""

    def __init__(self, base_url: str, token: Callable[[], str] | None, *, evidence: Evidence | None = None,
                 retry: RetryPolicy | None = None, timeout: float = 30.0,
                 verify: bool | str = True, http: httpx.Client | None = None,
                 limits: CallLimits | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.evidence = evidence
        self.retry = retry or RetryPolicy()
        self.limits = limits or CallLimits(timeout=timeout)
        self._http = http or bounded_client(timeout=timeout, verify=verify)

    # -- raw access, for checks that send unusual requests --------------------------------------
    def request(self, path: str = "", *, params: Mapping[str, Any] | None = None,
                headers: Mapping[str, str] | None = None, token: str | bool | None = True,
                consume: BodySink | None = None) -> httpx.Response:
        """GET ``API_BASE_PATH + path``. ``token=True`` uses the client's token, a string that token,
        ``None``/``False`` sends no Authorization header. ``consume`` takes a 200 answer's body as it comes."""
        merged = {"Accept": "application/json", CORRELATION_HEADER: new_korrelasjonsid()}
        if token is True and self.token is not None:
            merged["Authorization"] = f"Bearer {self.token()}"
        elif isinstance(token, str):
            merged["Authorization"] = f"Bearer {token}"
        merged.update(headers or {})
        request = self._http.build_request("GET", f"{self.base_url}{API_BASE_PATH}{path}", params=params,
                                           headers=merged)
        return send(self._http, request, self.evidence, self.retry, self.limits, consume=consume)

    def les_alle(self) -> Liste:
        """The unpaged list streamed into a :class:`Liste`: any length in bounded memory. ApiError for an answer
        other than 200, UnexpectedBody for a body that is not a JSON array."""
        liste = Liste()
        response = self.request(consume=liste)
        if response.status_code != 200:
            liste.close()
            raise ApiError(response)
        liste.status, liste.content_type = 200, response.headers.get("content-type", "")
        try:
            problem = response.extensions.get("sbs_stream_error")
            if problem is not None:
                raise problem
            liste.finish()
        except MalformedArray as exc:
            liste.close()
            if exc.code == "not_array":
                raise UnexpectedBody(Message("api.list_not_array", {"got": exc.kind})) from exc
            raise UnexpectedBody(Message(f"api.list_{exc.code}", {"content_type": liste.content_type,
                                                                   "reason": str(exc)})) from exc
        return liste

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
            headers = {"Accept": "application/json", "Authorization": f"Bearer {self.token()}",
                       CORRELATION_HEADER: new_korrelasjonsid()}
            return self._wire.get(path, params, headers)

        return with_retries(attempt, self.retry, self._wire.origin + API_BASE_PATH + path)

    def close(self) -> None:
        self._wire.close()


def _body(response: httpx.Response | WireResponse, kind: type, wrong_kind: str) -> Any:
    """The JSON body of a 200 answer, of the expected kind; ApiError or UnexpectedBody otherwise."""
    if response.status_code != 200:
        raise ApiError(response)
    try:
        body = response.json()
    except ValueError as exc:
        raise UnexpectedBody(Message("api.not_json", {"content_type": response.headers.get("content-type")})
                             ) from exc
    if not isinstance(body, kind):
        raise UnexpectedBody(Message(wrong_kind, {"got": _json_kind(body)}))
    return body


def _json_kind(value: Any) -> str:
    """A JSON value's kind in JSON's words (object, array, string, number, true/false, null)."""
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    if isinstance(value, bool):
        return "true/false"
    if value is None:
        return "null"
    return "string" if isinstance(value, str) else "number"
