"""The mock as one Starlette app: Maskinporten and the served profiles' APIs on one origin.

Composition: Maskinporten's endpoints (``/token``, metadata, ``/jwk``), then for each profile its routes behind one
:class:`~conformance.mock.gate.Gate` (401/403/406/429 and error bodies), its OpenAPI document at
``<mount>/openapi.yaml``, and its unknown-path answer. Any unexpected error is a 500 with the ``-001`` body of the
API it happened in, never a bare text. GET requests to the APIs take a short lane
(:class:`~conformance.mock.lane.ApiLane`) past Starlette's middleware to the same routes.
"""

from __future__ import annotations

import time
import urllib.parse
from typing import Any

import jwt
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from conformance import errorcodes as ec
from conformance.maskinporten.certs import new_rsa_key
from conformance.maskinporten.grant import GRANT_TYPE, GrantError, claimed_systemuser, decode_unverified
from conformance.mock import altinn
from conformance.mock.gate import Gate, JSONResponse, notes
from conformance.mock.lane import ApiLane, endpoint
from conformance.mock.maskinporten import public_jwk
from conformance.mock.recording import TrafficRecorder
from conformance.mock.state import MockState
from conformance.spec import SPEC_MEDIA_TYPE


def _asked_systemuser(assertion: str) -> tuple[str | None, str | None]:
    """What a (refused) grant asked for, for the client-check judge; nothing when it cannot be read."""
    try:
        return claimed_systemuser(decode_unverified(assertion)[1])
    except (jwt.PyJWTError, ValueError, TypeError):
        return None, None


def maskinporten_routes(state: MockState) -> list[Route]:
    faults, mp = state.faults, state.maskinporten
    foreign_key = new_rsa_key() if faults.on("jwks-wrong-key") else None

    async def metadata(request: Request) -> Response:
        return JSONResponse(mp.metadata(state.origin))

    async def jwk(request: Request) -> Response:
        jwks = mp.jwks(foreign_key)
        if faults.on("jwks-malformed"):  # a key PyJWT cannot load: the modulus is not base64url
            jwks = {"keys": [{**jwks["keys"][0], "n": "!!not-base64url!!"}]}
        return JSONResponse(jwks)

    async def token(request: Request) -> Response:
        form = urllib.parse.parse_qs((await request.body()).decode("utf-8", "replace"))
        grant_type = form.get("grant_type", [""])[0]
        assertion = form.get("assertion", [""])[0]
        if grant_type != GRANT_TYPE:
            return JSONResponse({"error": "unsupported_grant_type",
                                 "error_description": f"grant_type must be {GRANT_TYPE}"}, status_code=400)
        if not assertion:
            return JSONResponse({"error": "invalid_request", "error_description": "Missing assertion",
                                 "error_uri": f"{state.origin}/errors/MP-011"}, status_code=400)
        noted = notes(request)
        noted["kind"] = "token"
        try:
            verified = mp.verify(assertion)
        except GrantError as exc:
            asked_org, asked_ref = _asked_systemuser(assertion)
            noted["grant"] = {"ok": False, "rule": exc.rule, "error": exc.error, "mp_code": exc.mp_code,
                              "description": exc.description, "systemuser_org": asked_org,
                              "external_ref": asked_ref}
            return JSONResponse(exc.body(state.origin), status_code=exc.status)
        body = mp.issue(verified)
        issued = jwt.decode(body["access_token"], options={"verify_signature": False})
        noted["grant"] = {"ok": True, "jti": verified.claims.get("jti"), "auth": verified.client_amr,
                          "lifetime": body["expires_in"], "token_jti": issued["jti"],
                          "systemuser_org": verified.systemuser_org,
                          "external_ref": verified.system_user.external_ref if verified.system_user else None,
                          "consumer_org": verified.consumer_org, "scope": body["scope"]}
        if faults.on("token-response-incomplete"):
            body.pop("expires_in")
            body.pop("scope")
        return JSONResponse(body, headers={"Cache-Control": "no-store"})

    async def consent_token(request: Request) -> Response:
        """Altinn 2: the consent token for an authorization code (a JSON string, as Altinn answers it)."""
        notes(request)["kind"] = "consent"
        consent = mp.consent(request.query_params.get("AuthCode", ""))
        if consent is None or not consent.valid_at(time.time()):
            return JSONResponse({"error": "invalid_authorization_code",
                                 "error_description": "unknown, revoked or expired consent"}, status_code=400)
        notes(request)["consent"] = consent.id
        return JSONResponse(mp.samtykke.issue(consent, state.issuer))

    async def consent_jwk(request: Request) -> Response:
        return JSONResponse({"keys": [public_jwk(mp.samtykke.key.public_key(), "altinn-mock")]})

    return [Route("/.well-known/oauth-authorization-server", metadata, methods=["GET"]),
            Route("/jwk", jwk, methods=["GET"]), Route("/token", token, methods=["POST"]),
            Route(altinn.TOKEN_PATH, consent_token, methods=["GET"]),
            Route(altinn.JWK_PATH, consent_jwk, methods=["GET"])]


def create_app(state: MockState) -> Any:
    gates = []
    api_routes: list[Route] = []
    for profile in state.profiles():
        prefix = getattr(profile.mock, "error_prefix", None)
        gate = Gate(state, profile, (lambda p=prefix: p(state)) if prefix else None)
        gates.append(gate)
        api_routes += profile.mock.routes(gate)
        text = profile.spec_text

        def openapi(request: Request, text: str = text) -> Response:
            return Response(text, media_type=SPEC_MEDIA_TYPE)

        api_routes.append(Route(profile.mock_mount + "/openapi.yaml", endpoint(openapi), methods=["GET"]))
    # Unknown paths under an API's root after every API's routes: one API's root may lie under another's prefix.
    api_routes += [gate.catch_all(getattr(gate.profile.mock, "UNKNOWN_UNDER", None)) for gate in gates]

    def unexpected(request: Request, exc: Exception) -> Response:
        """Any unexpected error: a 500 with the -001 body of the API it happened in (DAS-001 outside them)."""
        gate = next((g for g in gates if request.url.path.startswith(g.root)), None)
        if gate is None:
            return JSONResponse({"kode": "DAS-001", "melding": ec.COMMON.codes[ec.UNEXPECTED].melding},
                                status_code=500)
        return gate.error(500, ec.UNEXPECTED, request)

    # The APIs first: they take nearly every request, and routes are matched in order.
    app = Starlette(routes=[*api_routes, *maskinporten_routes(state)], exception_handlers={Exception: unexpected})
    app.state.mock = state
    return TrafficRecorder(ApiLane(app, api_routes, unexpected), state)
