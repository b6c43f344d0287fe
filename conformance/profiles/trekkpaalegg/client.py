"""Clients for the two operations of the Trekkpålegg API, no business logic.

:class:`TrekkpaaleggClient` runs on httpx and records every exchange as evidence (the conformance suite);
:class:`KeepAliveTrekkpaaleggClient` runs the same operations on a lean kept-alive wire, for systems that
page at a high rate (the reference SBS client). Both share the operations in :class:`TrekkpaaleggOperations`.

``iter_alle`` implements the documented loop rule: ask with ``fraSekvensnummer`` and ``maksAntall``;
while a page is exactly ``maksAntall`` long, ask again from the largest ``sekvensnummer`` of that page.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

import httpx

from conformance.apiclient import ApiClient, ApiError, KeepAliveApiClient, UnexpectedBody, body_of
from conformance.evidence import Evidence
from conformance.feed import EXCLUSIVE, Page, pages
from conformance.http import CallLimits, RetryPolicy
from conformance.itemstream import MalformedArray
from conformance.messages import Message
from conformance.profiles.trekkpaalegg import LIST_PATH
from conformance.profiles.trekkpaalegg.liste import Liste
from conformance.wire import WireResponse

Trekkpaalegg = dict[str, Any]


class Side(Page):
    """One page of the loop (exclusive cursor), in the API's words."""

    @property
    def fra(self) -> int:
        return self.start

    @property
    def maks(self) -> int:
        return self.size

    @property
    def siste(self) -> bool:
        return self.last

    @property
    def hoeyeste_sekvensnummer(self) -> int | None:
        return self.highest


class TrekkpaaleggOperations:
    """The operations, on top of one GET that subclasses provide (``_get``)."""

    def _get(self, path: str, params: Mapping[str, Any] | None = None) -> httpx.Response | WireResponse:
        raise NotImplementedError  # ApiClient or KeepAliveApiClient

    def hent_alle(self) -> list[Trekkpaalegg]:
        """Latest version of every trekkpålegg (no paging parameters)."""
        return body_of(self._get(""), list, "api.list_not_array")

    def hent_side(self, fra: int, maks: int) -> list[Trekkpaalegg]:
        return body_of(self._get("", {"fraSekvensnummer": fra, "maksAntall": maks}), list, "api.list_not_array")

    def iter_sider(self, maks: int, fra: int = 0, max_pages: int | None = None,
                   expected_items: int | None = None) -> Iterator[Side]:
        """Pages by the loop rule (exclusive cursor), fetched lazily one at a time. With ``expected_items`` (the
        size of the unpaged list) a server that keeps sending full pages beyond them is stopped."""
        return pages(self.hent_side, fra, maks, EXCLUSIVE, max_pages=max_pages, expected_items=expected_items,
                     make=Side)

    def iter_alle(self, maks: int, fra: int = 0) -> Iterator[Trekkpaalegg]:
        for side in self.iter_sider(maks, fra):
            yield from side.items

    def hent_versjon(self, trekkid: str, trekkversjon: int | str) -> Trekkpaalegg:
        return body_of(self._get(f"/{trekkid}/{trekkversjon}"), dict, "api.version_not_object")


class TrekkpaaleggClient(TrekkpaaleggOperations, ApiClient):
    """Client for ``/api/trekkpaalegg/v1`` on httpx, every exchange recorded as evidence. ``token``
    supplies the bearer token (None: send none)."""

    def __init__(self, base_url: str, token: Callable[[], str] | None, *, evidence: Evidence | None = None,
                 retry: RetryPolicy | None = None, timeout: float = 30.0,
                 verify: bool | str = True, http: httpx.Client | None = None,
                 limits: CallLimits | None = None) -> None:
        ApiClient.__init__(self, base_url, token, root=LIST_PATH, evidence=evidence, retry=retry, timeout=timeout,
                           verify=verify, http=http, limits=limits)

    def _get(self, path: str, params: Mapping[str, Any] | None = None) -> httpx.Response:
        return self.request(path, params=params)

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


class KeepAliveTrekkpaaleggClient(TrekkpaaleggOperations, KeepAliveApiClient):
    """The same operations over a lean kept-alive wire: a fraction of httpx's cost per call, no evidence. Safe to
    share between threads."""

    def __init__(self, base_url: str, token: Callable[[], str], *, retry: RetryPolicy | None = None,
                 timeout: float = 30.0, verify: bool | str = True) -> None:
        KeepAliveApiClient.__init__(self, base_url, token, root=LIST_PATH, retry=retry, timeout=timeout,
                                    verify=verify)

    def _get(self, path: str, params: Mapping[str, Any] | None = None) -> WireResponse:
        return KeepAliveApiClient._get(self, path, params)




__all__ = ["ApiError", "KeepAliveTrekkpaaleggClient", "Side", "TrekkpaaleggClient", "TrekkpaaleggOperations",
           "UnexpectedBody"]

CLIENT = TrekkpaaleggClient  # what the run (ProfileTarget.api) builds for this API
