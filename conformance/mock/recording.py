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


def _content_type(headers: Any) -> dict[str, str]:
    for name, value in headers:
        if name.lower() == b"content-type":
            return {"content_type": value.decode("latin-1")}
    return {}


class TrafficRecorder:
    """ASGI wrapper, and the lane's (:mod:`conformance.mock.lane`): times every request and records it with what
    the handlers noted in ``scope["state"]``."""

    def __init__(self, app: Any, state: MockState) -> None:
        self.app, self.state = app, state

    def _record(self, scope: Any, notes: dict[str, Any], started: float, status: int | None,
                headers: dict[str, str]) -> None:
        accept = next((v.decode("latin-1") for k, v in scope.get("headers", []) if k.lower() == b"accept"), None)
        self.state.record({"start": started, "end": time.time(), "method": scope["method"], "path": scope["path"],
                           "query": dict(query_of(scope)), "status": status, "accept": accept,
                           **headers, **notes})

    def now(self, scope: Any) -> Answer | None:
        """The wrapped lane's answer at once (None when it does not take the request), recorded once it is sent."""
        lane = getattr(self.app, "now", None)
        if lane is None:
            return None
        if self.state.traffic is None:
            return lane(scope)
        notes: dict[str, Any] = {}
        scope.setdefault("state", {})["sbs"] = notes
        started = time.time()
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
        notes: dict[str, Any] = {}
        scope.setdefault("state", {})["sbs"] = notes
        started = time.time()
        status: dict[str, int] = {}
        headers: dict[str, str] = {}

        async def capture(message: Any) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                headers.update(_content_type(message.get("headers", [])))
            await send(message)

        await self.app(scope, receive, capture)
        self._record(scope, notes, started, status.get("code"), headers)
