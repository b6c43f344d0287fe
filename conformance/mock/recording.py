"""Recording the mock's traffic (client-check judges from it): every request timed, with what handlers noted."""

from __future__ import annotations

import time
import urllib.parse
from typing import Any

from conformance.mock.lane import Answer
from conformance.mock.state import MockState


def query_of(scope: Any) -> dict[str, str]:
    """The query parameters, parsed once per request (handler and recorder share them); a repeated
    parameter counts with its first value."""
    query = scope.get("sbs.query")
    if query is None:
        raw = scope.get("query_string", b"").decode("latin-1")
        if "%" in raw or "+" in raw:
            pairs = urllib.parse.parse_qsl(raw, keep_blank_values=True)
        else:  # nothing to unquote: what parse_qsl returns, at a fraction of its cost (the hot path)
            pairs = [part.partition("=")[::2] for part in raw.split("&") if part]
        query = {}
        for key, value in pairs:
            query.setdefault(key, value)
        scope["sbs.query"] = query
    return query


def first_header(headers: Any, name: bytes) -> str | None:
    """The first value of header ``name`` in an ASGI header list (a request's scope, a response's raw headers),
    as Starlette's ``headers.get`` gives it, without building its header map: names there are lower case, as ASGI
    has them."""
    for key, value in headers:
        if key == name:
            return value.decode("latin-1")
    return None


def _content_type(headers: Any) -> dict[str, str]:
    value = first_header(headers, b"content-type")
    return {} if value is None else {"content_type": value}


class TrafficRecorder:
    """ASGI wrapper, and the lane's (:mod:`conformance.mock.lane`): times every request and records it with what
    the handlers noted in ``scope["state"]``."""

    def __init__(self, app: Any, state: MockState) -> None:
        self.app, self.state = app, state

    def _record(self, scope: Any, notes: dict[str, Any], started: float, status: int | None,
                headers: dict[str, str]) -> None:
        accept = first_header(scope.get("headers", []), b"accept")
        self.state.record({"start": started, "end": time.time(), "method": scope["method"], "path": scope["path"],
                           "query": dict(query_of(scope)), "status": status, "accept": accept,
                           **headers, **notes})

    @staticmethod
    def _begin(scope: Any) -> tuple[dict[str, Any], float]:
        """(the handlers' notes, now in the scope; the request's start)."""
        notes: dict[str, Any] = {}
        scope.setdefault("state", {})["sbs"] = notes
        return notes, time.time()

    def now(self, scope: Any) -> Answer | None:
        """The wrapped lane's answer at once (None when it does not take the request), recorded once it is sent."""
        lane = getattr(self.app, "now", None)
        if lane is None:
            return None
        if self.state.traffic is None:
            return lane(scope)
        notes, started = self._begin(scope)
        answer = lane(scope)
        if answer is not None:
            response = answer.response
            answer.sent = lambda: self._record(scope, notes, started, response.status_code,
                                               _content_type(response.raw_headers))
        return answer

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or self.state.traffic is None:
            await self.app(scope, receive, send)
            return
        notes, started = self._begin(scope)
        status: dict[str, int] = {}
        headers: dict[str, str] = {}

        async def capture(message: Any) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                headers.update(_content_type(message.get("headers", [])))
            await send(message)

        await self.app(scope, receive, capture)
        self._record(scope, notes, started, status.get("code"), headers)
