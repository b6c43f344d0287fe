"""The gate every API of the mock shares: token (401), scope and system-user right (403), Accept (406),
concurrency (429), in that order, and error bodies in JSON or, for an API that serves XML, as the ``feil`` element.

A profile's routes are handlers behind the gate: ``handler(request, call) -> Response``, where :class:`Call` says
whose data is asked for (the organisation in the token) and in which format to answer; a handler refuses with
:class:`Reject`. Error codes come from the profile's table (:mod:`conformance.errorcodes` numbering).
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
from lxml import etree
from starlette.requests import Request
from starlette.responses import JSONResponse as _StarletteJSONResponse
from starlette.responses import PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

from conformance import errorcodes as ec
from conformance.codecs import FEIL_NS
from conformance.maskinporten.tokens import systemuser_id, token_org
from conformance.mock import lane
from conformance.mock.maskinporten import AccessTokenError
from conformance.mock.recording import first_header
from conformance.mock.state import MockState

JSON, XML = "application/json", "application/xml"
_DIGITS = re.compile(r"^[0-9]+$")
INT64_MAX = 2**63 - 1  # the OpenAPI documents' integer (int64): anything larger is not a valid value
_FIXED_KORRELASJONSID = "00000000-0000-0000-0000-000000000000"


class JSONResponse(_StarletteJSONResponse):
    """JSON rendered by orjson: a tenth of the stdlib encoder's cost per page (see bench/client_bench.py)."""

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


class Reject(Exception):
    """A handler's (or the gate's) refusal: the status and the code number of the API's table."""

    def __init__(self, status: int, number: str) -> None:
        self.status, self.number = status, number


def int64(raw: str | None) -> int | None:
    """A parameter as a non-negative int64, None when absent; ValueError when it is not one (a sign, letters,
    thousands of digits: checked by length before ``int`` so a huge value costs nothing)."""
    if raw is None:
        return None
    if len(raw) > 19 or not _DIGITS.match(raw) or int(raw) > INT64_MAX:
        raise ValueError(raw)
    return int(raw)


def negotiate(accept: str | None, served: tuple[str, ...]) -> str | None:
    """The served media type an ``Accept`` header prefers (the first served one on a tie, and for a missing
    header); None when it rules every served one out (406)."""
    if not accept or not accept.strip():
        return served[0]
    best, best_q = None, 0.0
    for part in accept.split(","):
        media, *params = (p.strip() for p in part.split(";"))
        q = 1.0
        for p in params:
            if p.startswith("q="):
                try:
                    q = float(p[2:])
                except ValueError:
                    q = 0.0
        media = media.lower()
        for candidate in served:
            major, minor = candidate.split("/")
            matches = media in ("*/*", f"{major}/*", candidate) or media.endswith("+" + minor)
            earlier = best is not None and served.index(candidate) < served.index(best)
            if matches and (q > best_q or (q == best_q and earlier)):
                best, best_q = candidate, q
    return best if best_q > 0 else None


def header(request: Request, name: bytes) -> str | None:
    """A request header's (first) value; ``name`` in lower case."""
    return first_header(request.scope["headers"], name)


def incoming_korrelasjonsid(request: Request) -> str | None:
    """The caller's ``Korrelasjonsid`` header when it is a UUID (accepted, never required)."""
    value = header(request, b"korrelasjonsid")
    if not value:
        return None
    try:
        return str(uuid.UUID(value.strip()))
    except ValueError:
        return None


def notes(request: Request) -> dict[str, Any]:
    """What the handlers note about a request for the traffic recording (client-check)."""
    return request.scope.get("state", {}).get("sbs", {})


@dataclass
class Call:
    """One API call that passed the gate."""

    org: str | None  # whose data: the organisation in the token (None only with the accept-missing-token fault)
    media: str  # the format to answer in (JSON, or XML for an API that serves it)
    claims: dict[str, Any] = field(default_factory=dict)


Handler = Callable[[Request, Call], Response]


class Gate:
    """The shared checks and error bodies of one profile's API on the mock."""

    def __init__(self, state: MockState, profile: Any, prefix: Callable[[], str] | None = None, *,
                 root: str | None = None, table: ec.CodeTable | None = None) -> None:
        """``root`` and ``table``: a second host of the same API (e.g. a lookup next to its event list)."""
        self.state, self.profile = state, profile
        self.faults, self.variants = state.faults, state.variants
        self.table: ec.CodeTable = table or profile.common.error_table
        self._prefix = prefix or (lambda: self.table.prefix)
        self.root = root if root is not None else profile.mock_mount + profile.api_root

    # -- answers ---------------------------------------------------------------------------------------------
    def media_for(self, request: Request) -> str:
        """The error body's format: XML when the API serves it and the caller prefers it, else JSON."""
        if XML in self.profile.media_types:
            return negotiate(header(request, b"accept"), self.profile.media_types) or JSON
        return JSON

    def error(self, status: int, number: str, request: Request | None = None, table: ec.CodeTable | None = None
              ) -> Response:
        """The error body; the caller's Korrelasjonsid (a UUID) is echoed, else a fresh one is made."""
        if self.faults.on("wrong-error-codes") and status == 404:
            number = ec.VALIDATION
        if table is None:
            resolved, number = self.table.for_situation(number)
            table = resolved if resolved is not self.table else None
        code = (table or self.table).codes[number]
        if self.faults.on("plain-text-errors"):
            return PlainTextResponse(code.melding, status_code=status)
        korrelasjonsid = _FIXED_KORRELASJONSID if self.faults.on("reused-korrelasjonsid") else (
            (incoming_korrelasjonsid(request) if request is not None else None) or str(uuid.uuid4()))
        kode = ec.kode(number, table.prefix if table is not None else self._prefix())
        headers = {"Retry-After": "1"} if status == 429 else None
        if request is not None and self.media_for(request) == XML:
            root = etree.Element(f"{{{FEIL_NS}}}feil", nsmap={None: FEIL_NS})
            for name, value in (("kode", kode), ("melding", code.melding), ("korrelasjonsid", korrelasjonsid)):
                etree.SubElement(root, f"{{{FEIL_NS}}}{name}").text = value
            return Response(etree.tostring(root, xml_declaration=True, encoding="UTF-8"), status_code=status,
                            media_type=XML, headers=headers)
        return JSONResponse({"kode": kode, "melding": code.melding, "korrelasjonsid": korrelasjonsid},
                            status_code=status, headers=headers)

    # -- the checks ------------------------------------------------------------------------------------------
    def unauthenticated(self) -> Reject:
        """No, a broken or an expired token: 401, or 403 as feil.md words it (a variant)."""
        return Reject(403, ec.AUTHORISATION) if self.variants.on("feil-md-statuses") else Reject(
            401, ec.AUTHENTICATION)

    def forbidden(self) -> Reject:
        """A valid token without the scope or right: 403, or 401 as feil.md words it (a variant)."""
        return Reject(401, ec.AUTHENTICATION) if self.variants.on("feil-md-statuses") else Reject(
            403, ec.AUTHORISATION)

    def authorise(self, request: Request) -> tuple[str | None, dict[str, Any]]:
        """(the organisation, the claims) of the bearer token, or raise Reject(401/403)."""
        mp, faults = self.state.maskinporten, self.faults
        authorization = header(request, b"authorization")
        if not authorization:
            if faults.on("accept-missing-token"):
                return None, {}
            raise self.unauthenticated()
        scheme, _, value = authorization.partition(" ")
        if scheme.lower() != "bearer" or not value:
            raise self.unauthenticated()
        try:
            claims = mp.verify_access_token(value.strip(), check_signature=not faults.on("accept-invalid-signature"),
                                            check_expiry=not faults.on("accept-expired-token"))
        except AccessTokenError as exc:
            raise self.unauthenticated() from exc
        notes(request)["token_jti"] = claims.get("jti")
        behaviour = self.state.behaviour
        if behaviour.token_max_uses is not None:
            uses, order = self.state.use_token(str(claims.get("jti")))
            if uses > behaviour.token_max_uses and (behaviour.expiring_tokens is None
                                                     or order < behaviour.expiring_tokens):
                raise self.unauthenticated()  # the scenario's token "expires" mid-sync
        if self.profile.scope not in str(claims.get("scope", "")).split() and not faults.on("ignore-scope"):
            raise self.forbidden()
        user_id = systemuser_id(claims)
        if user_id is not None:  # the system user must (still) hold the API's resource in Altinn
            user = mp.systemuser(user_id)
            if user is None or user.status != "approved" or self.profile.altinn_resource not in user.rights:
                raise self.forbidden()
        if "supplier" in claims and self.state.assumptions.get("A-TP-DELEGATION", "accept") == "refuse":
            raise self.forbidden()
        return token_org(claims), claims

    async def handle(self, request: Request, handler: Handler) -> Response:
        """Behaviour (latency), then :meth:`answer`."""
        latency = self.state.behaviour.latency
        if latency:
            await asyncio.sleep(latency)
        return self.answer(request, handler)

    def answer_now(self, request: Request, handler: Handler) -> Response | None:
        """:meth:`answer` when it need not wait (no latency asked for), else None (and nothing counted)."""
        return None if self.state.behaviour.latency else self.answer(request, handler)

    def answer(self, request: Request, handler: Handler) -> Response:
        """Injected errors, then the checks in order, then the handler."""
        state = self.state
        noted = notes(request)
        noted["kind"] = "api"
        noted["api"] = self.profile.name
        behaviour = state.behaviour
        number = state.next_api_call()
        if number in behaviour.transient:
            status, retry_after = behaviour.transient[number]
            noted["injected"] = status
            response = self.error(status, ec.UNEXPECTED, request)
            if retry_after is not None:
                response.headers["Retry-After"] = str(retry_after)
            return response
        try:
            org, claims = self.authorise(request)
            if behaviour.forbidden:
                raise Reject(403, ec.AUTHORISATION)
            media = negotiate(header(request, b"accept"), self.profile.media_types)
            if media is None:
                if not self.faults.on("ignore-accept"):
                    raise Reject(406, ec.FORMAT)
                media = self.profile.media_types[0]
            call = Call(org, media, claims)
            if org is None:  # only with accept-missing-token: data without anyone's organisation
                return handler(request, call)
            if not state.enter(self.profile.name, org):
                raise Reject(429, ec.UNEXPECTED)
            streamed = False
            try:
                response = handler(request, call)
                streamed = isinstance(response, StreamingResponse)  # it leaves when the stream ends
                return response
            finally:
                if not streamed:
                    state.leave(self.profile.name, org)
        except Reject as rej:
            return self.error(rej.status, rej.number, request)

    # -- routes ----------------------------------------------------------------------------------------------
    def route(self, path: str, handler: Handler) -> Route:
        """A GET route at ``path`` under the API's root, behind the gate."""
        return Route(self.root + path, lane.endpoint(lambda request: self.answer_now(request, handler),
                                                     lambda request: self.handle(request, handler)),
                     methods=["GET"])

    def unknown_path(self, request: Request) -> Response:
        if self.faults.on("unknown-path-400"):
            return self.error(400, ec.VALIDATION, request)
        if self.variants.on("gateway-404"):  # the gateway's own answer, not the application's format (feil.md)
            return PlainTextResponse("404 NOT FOUND", status_code=404)
        if self.variants.on("das-002-unknown-path"):
            return self.error(404, ec.DAS_UNKNOWN_URL, request, ec.COMMON)
        return self.error(404, ec.UNKNOWN_URL, request)

    def catch_all(self, under: str | None = None) -> Route:
        """Every other path under ``under`` (default: the API's root): the API's unknown-path answer."""
        return Route((self.root if under is None else under).rstrip("/") + "/{rest:path}",
                     lane.endpoint(self.unknown_path))

    def released(self, org: str) -> Callable[[], None]:
        """For a streamed answer: leave the concurrency count when the stream ends."""
        return lambda: self.state.leave(self.profile.name, org)
