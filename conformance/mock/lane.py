"""The mock's short lane: a GET request to one of the APIs answered at once, past Starlette's and uvicorn's ASGI layers.

Every API route's endpoint (:func:`endpoint`) is a Starlette endpoint that also carries ``now``: the same answer
made synchronously, or None when it has to wait (a scenario's latency). :class:`ApiLane` matches a request against
the API routes as Starlette's router would and asks ``now``; the server's protocol (:mod:`conformance.mock.server`)
asks the lane before it starts an ASGI task and writes a plain answer in the same turn of the event loop. Through
ASGI (any other server, httpx's ASGI transport) the lane is an ASGI app that sends the same answer. Whatever the lane
does not take goes to the Starlette app, unchanged.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match, Route


def _nothing() -> None:
    return None


@dataclass
class Answer:
    """A response made at once. ``error``: the endpoint's unexpected error, already answered (a 500) and to be
    raised after it is sent, as Starlette's exception handler does; ``sent``: called once the response has left
    (the traffic recording), never after an error (the recording does not record a failed call)."""

    response: Response
    error: Exception | None = None
    sent: Callable[[], None] = _nothing

    @property
    def plain(self) -> bool:
        """Every byte is made (no stream, no background task): it can be written in one go."""
        return type(self.response).__call__ is Response.__call__ and self.response.background is None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        """ASGI: send the response as Starlette would."""
        await self.response(scope, receive, send)
        if self.error is not None:
            raise self.error
        self.sent()


Now = Callable[[Request], "Response | None"]


def endpoint(now: Now, later: Callable[[Request], Awaitable[Response]] | None = None) -> Any:
    """A Starlette endpoint that answers with ``now(request)``, with ``now`` on it for the lane. When ``now`` may
    return None (it cannot answer without waiting), ``later`` is the endpoint's answer instead."""

    async def answer(request: Request) -> Response:
        made = answer.now(request)  # type: ignore[attr-defined]
        if made is None:
            assert later is not None, "an endpoint whose answer waits needs `later`"
            return await later(request)
        return made

    answer.now = now  # type: ignore[attr-defined]
    return answer


class ApiLane:
    """ASGI, and the server's lane: a GET request that one of ``routes`` matches is answered by that route's
    endpoint's ``now``; every other request goes to ``app``, the Starlette app those routes head. Starlette's
    middleware and router wrap each call, and uvicorn's ASGI task each answer, in layers of their own; the mock's
    throughput is what client-check and a vendor's load test meet (bench/run_bench.py). The route is the one
    Starlette's router would take (the first full match of its list, which ``routes`` begins); an endpoint's error
    is the same 500 as through ``app``'s exception handler, re-raised after it as Starlette does."""

    def __init__(self, app: Starlette, routes: list[Route],
                 unexpected: Callable[[Request, Exception], Response]) -> None:
        if app.router.routes[:len(routes)] != routes:
            raise ValueError("the lane's routes must begin the app's routes, in its order")
        if not all(callable(getattr(route.endpoint, "now", None)) for route in routes):
            raise TypeError("the lane's routes must have endpoints made by conformance.mock.lane.endpoint")
        self.app, self.routes, self.unexpected = app, routes, unexpected

    def now(self, scope: Any) -> Answer | None:
        """The answer to a request at once; None when the lane does not take it (not a GET, no API route, or
        its answer has to wait): then it is the Starlette app's, with nothing answered or counted (a matched
        route's path parameters are in the scope already, as Starlette's router puts them there again)."""
        if scope["type"] != "http" or scope["method"] != "GET":
            return None
        for route in self.routes:
            match, child = route.matches(scope)
            if match is Match.FULL:
                break
        else:
            return None
        scope.update(child, app=self.app, router=self.app.router)
        request = Request(scope)
        try:
            response = route.endpoint.now(request)
        except Exception as exc:
            return Answer(self.unexpected(request, exc), exc)
        return None if response is None else Answer(response)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        answer = self.now(scope)
        if answer is None:
            await self.app(scope, receive, send)
        else:
            await answer(scope, receive, send)
