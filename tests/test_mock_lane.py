"""The mock's short lane for the APIs' GET requests (conformance.mock.app.ApiLane) answers every request exactly as
the Starlette app behind it does: the same status, headers and body, errors included, and the same traffic record
(client-check judges from it)."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest

from conformance.mock import create_app, seeded_state
from conformance.mock.app import ApiLane
from conformance.mock.recording import TrafficRecorder
from conformance.profiles.trekkpaalegg.mock import EXAMPLES_ORG, data

KORRELASJONSID = str(uuid.uuid4())


class _Broken:
    """A store whose every read fails: an unexpected error inside the application."""

    def __getattr__(self, name):
        raise RuntimeError("disk on fire")


def _requests(state, token: str) -> list[tuple[str, str, dict[str, str]]]:
    bearer = {"Authorization": f"Bearer {token}", "Korrelasjonsid": KORRELASJONSID}
    tp = "/api/trekkpaalegg/v1"
    trekkid = data(state).store(EXAMPLES_ORG).latest()[0]["trekkid"]
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
