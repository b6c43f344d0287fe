"""The mock's short lane for the APIs' GET requests (conformance.mock.app.ApiLane) answers every request exactly as
the Starlette app behind it does: the same status, headers and body, errors included, and the same traffic record
(client-check judges from it)."""

from __future__ import annotations

import asyncio
import logging
import uuid

import httpx
import pytest
from starlette.responses import Response

from conformance.mock import create_app, seeded_state
from conformance.mock.lane import ApiLane
from conformance.mock.recording import TrafficRecorder
from conformance.profiles.trekkpaalegg.mock import EXAMPLES_ORG, GENERATED_ORG, STREAM_ABOVE, data

KORRELASJONSID = str(uuid.uuid4())


class _Broken:
    """A store whose every read fails: an unexpected error inside the application."""

    def __getattr__(self, name):
        raise RuntimeError("disk on fire")


def _requests(state, token: str, trekkid: str | None = None) -> list[tuple[str, str, dict[str, str]]]:
    bearer = {"Authorization": f"Bearer {token}", "Korrelasjonsid": KORRELASJONSID}
    tp = "/api/trekkpaalegg/v1"
    trekkid = trekkid or data(state).store(EXAMPLES_ORG).latest()[0]["trekkid"]
    asked = [("GET", tp, bearer), ("GET", tp + "?fraSekvensnummer=0&maksAntall=2", bearer),
             ("GET", f"{tp}/{trekkid}/1", bearer), ("GET", f"{tp}/{trekkid}/x", bearer),
             ("GET", tp + "?maksAntall=2", bearer), ("GET", tp, {"Korrelasjonsid": KORRELASJONSID}),
             ("GET", tp, {**bearer, "Accept": "text/csv"}), ("HEAD", tp, bearer), ("POST", tp, bearer),
             ("GET", "/jwk", {}), ("GET", "/.well-known/oauth-authorization-server", {}), ("GET", "/nosuch", {})]
    for profile in state.profiles():
        root = profile.mock_mount + profile.api_root
        asked += [("GET", profile.mock_mount + "/openapi.yaml", {}), ("GET", root + "/nosuch/path", bearer),
                  ("DELETE", root + "/nosuch", bearer)]
    return asked


async def _answers(app, asked) -> list[tuple[int, list[tuple[str, str]], bytes]]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://mock") as client:
        got = []
        for method, path, headers in asked:
            response = await client.request(method, path, headers=headers)
            got.append((response.status_code, sorted(response.headers.multi_items()), response.content))
        return got


@pytest.mark.parametrize("broken", [False, True], ids=["working", "unexpected-error"])
def test_the_lane_answers_every_request_as_the_starlette_app_does(broken):
    state = seeded_state(50)
    state.set_origin("http://mock")
    scopes = " ".join(p.scope for p in state.profiles())
    token = state.maskinporten.mint(client_id="c", org=EXAMPLES_ORG, scope=scopes, lifetime=600)
    asked = _requests(state, token)
    if broken:
        data(state).stores[EXAMPLES_ORG] = _Broken()
    laned = create_app(state)
    lane = laned.app
    assert isinstance(lane, ApiLane)
    through_starlette = TrafficRecorder(lane.app, state)
    recorded = {}
    for name, app in (("lane", laned), ("starlette", through_starlette)):
        state.traffic = []
        recorded[name] = (asyncio.run(_answers(app, asked)),
                          [{k: v for k, v in r.items() if k not in ("start", "end")} for r in state.traffic])
    (with_lane, lane_traffic), (without, starlette_traffic) = recorded["lane"], recorded["starlette"]
    for request, a, b in zip(asked, with_lane, without, strict=True):
        assert a == b, request[:2]
    assert lane_traffic == starlette_traffic
    statuses = {status for status, _, _ in with_lane}
    assert 500 in statuses if broken else {200, 400, 401, 404, 405, 406} <= statuses, statuses


def test_the_lane_takes_only_the_routes_that_begin_the_apps_own():
    state = seeded_state(5)
    lane = create_app(state).app
    routes = lane.app.router.routes
    with pytest.raises(ValueError):
        ApiLane(lane.app, routes[1:3], lane.unexpected)
    assert ApiLane(lane.app, routes[:2], lane.unexpected).routes == routes[:2]


def _over_http(origin: str, asked) -> list[tuple[int, list[tuple[str, str]], bytes, bool]]:
    """Each request on a connection of its own: (status, headers but Date, body, whether the server closed)."""
    import http.client

    host, port = origin.removeprefix("http://").split(":")
    got = []
    for method, path, headers in asked:
        conn = http.client.HTTPConnection(host, int(port), timeout=10)
        conn.request(method, path, headers=headers)
        response = conn.getresponse()
        body = response.read()
        closed = False
        if response.status == 500:  # an unexpected error: uvicorn closes the connection after the answer
            closed = conn.sock is None or conn.sock.recv(1) == b""
        conn.close()
        got.append((response.status, sorted((k.lower(), v) for k, v in response.getheaders() if k.lower() != "date"),
                    body, closed))
    return got


@pytest.mark.parametrize("broken", [False, True], ids=["working", "unexpected-error"])
def test_over_http_the_servers_lane_answers_as_uvicorns_asgi_cycle_and_starlette_do(broken, monkeypatch):
    """The protocol's lane (conformance.mock.server) against the Starlette app through uvicorn's ASGI task: the
    same bytes but the date, the same connection handling after an error, the same traffic record; and the lane
    really took every API GET request (uvicorn started no task for them)."""
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    from conformance.mock.server import serve

    tasks = []
    started = HttpToolsProtocol._start_asgi_task
    monkeypatch.setattr(HttpToolsProtocol, "_start_asgi_task",
                        lambda self, cycle, app: (tasks.append(cycle.scope["path"]), started(self, cycle, app))[1])
    state = seeded_state(STREAM_ABOVE + 200)  # the generated organisation's whole list is streamed
    trekkid = data(state).store(EXAMPLES_ORG).latest()[0]["trekkid"]
    if broken:
        data(state).stores[EXAMPLES_ORG] = _Broken()
    laned = create_app(state)
    scopes = " ".join(p.scope for p in state.profiles())
    results, counted, port = {}, {}, 0
    for name, app in (("lane", laned), ("starlette", TrafficRecorder(laned.app.app, state))):
        tasks.clear()
        state.traffic = []
        with serve(state, port=port, app=app) as mock:  # the same port: the same origin in the answers
            port = int(mock.origin.rsplit(":", 1)[1])
            token = state.maskinporten.mint(client_id="c", org=EXAMPLES_ORG, scope=scopes, lifetime=600)
            generated = state.maskinporten.mint(client_id="c", org=GENERATED_ORG, scope=scopes, lifetime=600)
            asked = [*_requests(state, token, trekkid),
                     ("GET", "/api/trekkpaalegg/v1", {"Authorization": f"Bearer {generated}"})]
            answers = _over_http(mock.origin, asked)
        # Read after the server stopped: a call is recorded once its answer has left, which the client may see first.
        results[name] = (answers, [{k: v for k, v in r.items() if k not in ("start", "end", "token_jti")}
                                   for r in state.traffic])
        counted[name] = len(tasks)
    (lane, lane_traffic), (starlette, starlette_traffic) = results["lane"], results["starlette"]
    for request, a, b in zip(asked, lane, starlette, strict=True):
        assert a == b, request[:2]
    assert lane_traffic == starlette_traffic
    assert lane_traffic[-1]["count"] == STREAM_ABOVE + 200 and lane[-1][2].count(b'"trekkid"') == STREAM_ABOVE + 200
    not_api = [r for r in asked if r[0] != "GET" or r[1] in ("/jwk", "/.well-known/oauth-authorization-server",
                                                             "/nosuch")]
    # A streamed answer is sent by an ASGI task of its own (the last request); every other API GET by the lane.
    assert counted == {"lane": len(not_api) + 1, "starlette": len(asked)}
    statuses = {status for status, *_ in lane}
    if broken:
        assert any(status == 500 and closed for status, _, _, closed in lane)
    else:
        assert {200, 400, 401, 404, 405, 406} <= statuses, statuses


@pytest.mark.parametrize("lane", [True, False], ids=["lane", "asgi"])
def test_an_answer_uvicorn_refuses_to_send_closes_that_connection_only(lane):
    """An answer with a header uvicorn refuses (a line break in its value): logged, the connection closed with
    nothing sent, as uvicorn does for any app; the next connection is served."""
    import http.client

    from conformance.mock.server import serve

    state = seeded_state(5)
    app = create_app(state)
    route = app.app.routes[0]
    made = route.endpoint.now
    route.endpoint.now = lambda request: Response(b"[]", headers={"x-bad": "a\r\nb"})
    served = app if lane else TrafficRecorder(app.app.app, state)
    logged = []
    handler = logging.Handler()
    handler.emit = lambda record: logged.append(record.getMessage())
    with serve(state, app=served) as mock:
        logging.getLogger("uvicorn.error").addHandler(handler)  # after the server configured its logging
        host, port = mock.origin.removeprefix("http://").split(":")
        conn = http.client.HTTPConnection(host, int(port), timeout=10)
        conn.request("GET", route.path)
        with pytest.raises(http.client.RemoteDisconnected):
            conn.getresponse()
        route.endpoint.now = made
        conn = http.client.HTTPConnection(host, int(port), timeout=10)
        conn.request("GET", "/jwk")
        assert conn.getresponse().status == 200
    logging.getLogger("uvicorn.error").removeHandler(handler)
    assert any(m.startswith("Exception in ASGI application") for m in logged), logged
