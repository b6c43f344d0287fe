"""The HTTP client of any Skatteetaten API, without knowing which: paths relative to the API's root, a bearer token,
a fresh ``Korrelasjonsid`` on every call, every exchange recorded as evidence.

A profile's own client (e.g. the Trekkpålegg operations) builds on :class:`ApiClient` (httpx, evidence: the
conformance suite) or :class:`KeepAliveApiClient` (a lean kept-alive wire without evidence: reference clients that
page at a high rate). :func:`body_of` turns a 200 answer into the JSON value a caller expects, and the errors say
what was wrong in the report's language.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import httpx

from conformance import jsonvalue
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
from conformance.messages import Message
from conformance.wire import KeepAliveWire, WireResponse

JSON = "application/json"


class ApiError(Exception):
    """A non-200 answer where data was expected (a conformance failure of the call)."""

    is_conformance_failure = True

    def __init__(self, response: httpx.Response | WireResponse) -> None:
        from conformance.codecs import error_fields

        self.response = response
        self.status = response.status_code
        self.feil: Mapping[str, Any] | None = error_fields(response.headers.get("content-type", ""),
                                                          response.text)
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
    """A 200 answer whose body is not the documented shape (a conformance failure of the call)."""

    is_conformance_failure = True

    def __init__(self, message: Message) -> None:
        super().__init__(message.render("en"))
        self.message = message


class ApiClient:
    """GET ``base_url + root + path`` on httpx; every exchange recorded as evidence. ``token`` supplies the bearer
    token (None: send none)."""

    def __init__(self, base_url: str, token: Callable[[], str] | None, *, root: str = "",
                 evidence: Evidence | None = None, retry: RetryPolicy | None = None, timeout: float = 30.0,
                 verify: bool | str = True, http: httpx.Client | None = None, limits: CallLimits | None = None,
                 accept: str = JSON) -> None:
        self.base_url = base_url.rstrip("/")
        self.root = root.rstrip("/")
        self.token = token
        self.evidence = evidence
        self.retry = retry or RetryPolicy()
        self.limits = limits or CallLimits(timeout=timeout)
        self.accept = accept
        self._http = http or bounded_client(timeout=timeout, verify=verify)

    def url(self, path: str = "") -> str:
        return f"{self.base_url}{self.root}{path}"

    def request(self, path: str = "", *, params: Mapping[str, Any] | None = None,
                headers: Mapping[str, str] | None = None, token: str | bool | None = True,
                consume: BodySink | None = None) -> httpx.Response:
        """GET ``root + path``. ``token=True`` uses the client's token, a string that token, ``None``/``False``
        sends no Authorization header. ``consume`` takes a 200 answer's body as it comes."""
        merged = {"Accept": self.accept, CORRELATION_HEADER: new_korrelasjonsid()}
        if token is True and self.token is not None:
            merged["Authorization"] = f"Bearer {self.token()}"
        elif isinstance(token, str):
            merged["Authorization"] = f"Bearer {token}"
        merged.update(headers or {})
        request = self._http.build_request("GET", self.url(path), params=params, headers=merged)
        return send(self._http, request, self.evidence, self.retry, self.limits, consume=consume)

    def _get(self, path: str, params: Mapping[str, Any] | None = None) -> httpx.Response:
        return self.request(path, params=params)

    def close(self) -> None:
        self._http.close()


class KeepAliveApiClient:
    """The same GET over :class:`~conformance.wire.KeepAliveWire`: a fraction of httpx's cost per call, no
    evidence. Safe to share between threads."""

    def __init__(self, base_url: str, token: Callable[[], str], *, root: str = "", retry: RetryPolicy | None = None,
                 timeout: float = 30.0, verify: bool | str = True, accept: str = JSON) -> None:
        self.token = token
        self.retry = retry or RetryPolicy()
        self.accept = accept
        self.root = root.rstrip("/")
        self._wire = KeepAliveWire(base_url.rstrip("/") + self.root, verify=verify, timeout=timeout)

    def _get(self, path: str, params: Mapping[str, Any] | None = None,
             headers: Mapping[str, str] | None = None) -> WireResponse:
        def attempt(_: int) -> WireResponse:  # the token is asked for on every attempt: it may have been renewed
            sent = {"Accept": self.accept, "Authorization": f"Bearer {self.token()}",
                    CORRELATION_HEADER: new_korrelasjonsid(), **(headers or {})}
            return self._wire.get(path, params, sent)

        return with_retries(attempt, self.retry, self._wire.origin + self.root + path)

    def close(self) -> None:
        self._wire.close()


def body_of(response: httpx.Response | WireResponse, kind: type, wrong_kind: str) -> Any:
    """The JSON body of a 200 answer, of the expected kind; ApiError or UnexpectedBody otherwise."""
    if response.status_code != 200:
        raise ApiError(response)
    try:
        body = jsonvalue.loads(response.content)  # what response.json() gives (httpx decodes the bytes with json)
    except ValueError as exc:
        raise UnexpectedBody(Message("api.not_json", {"content_type": response.headers.get("content-type")})
                             ) from exc
    if not isinstance(body, kind):
        raise UnexpectedBody(Message(wrong_kind, {"got": json_kind(body)}))
    return body


def json_kind(value: Any) -> str:
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
