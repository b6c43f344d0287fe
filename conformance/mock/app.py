"""The mock as one Starlette app: Maskinporten and the Trekkpålegg API on one origin.

Order of evaluation for API calls (the same for both operations): token (401), scope (403), Accept
(406), concurrency (429), parameters (400), data (200/404). Error bodies always carry
``{kode, melding, korrelasjonsid}`` from the one code table in :mod:`conformance.errorcodes`.
"""

from __future__ import annotations

import asyncio
import itertools
import re
import time
import urllib.parse
import uuid
from collections.abc import Iterator
from typing import Any

import jwt
import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse as _StarletteJSONResponse
from starlette.responses import PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

from conformance import API_BASE_PATH, SCOPE
from conformance import errorcodes as ec
from conformance.maskinporten.certs import new_rsa_key
from conformance.maskinporten.grant import GRANT_TYPE, GrantError, claimed_systemuser, decode_unverified
from conformance.maskinporten.tokens import systemuser_id, token_org
from conformance.mock.credentials import RESOURCE
from conformance.mock.maskinporten import AccessTokenError
from conformance.mock.state import OTHER_ORG, MockState
from conformance.spec import SPEC_MEDIA_TYPE, bundled_spec_text

_DIGITS = re.compile(r"^[0-9]+$")
INT64_MAX = 2**63 - 1  # the OpenAPI document's integer (int64): anything larger is not a valid value
STREAM_ABOVE = 1000  # answers with more items than this are streamed
STREAM_BATCH = 500
_FIXED_KORRELASJONSID = "00000000-0000-0000-0000-000000000000"


class JSONResponse(_StarletteJSONResponse):
    """JSON rendered by orjson: a tenth of the stdlib encoder's cost per page (see bench/client_bench.py)."""

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def accepts_json(accept: str | None) -> bool:
    """True unless the Accept header rules JSON out (a missing header accepts anything)."""
    if not accept or not accept.strip():
        return True
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
        if q > 0 and (media in ("*/*", "application/*", "application/json") or media.endswith("+json")):
            return True
    return False


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


class TrafficRecorder:
    """ASGI wrapper: times every request and records it with what the handlers noted in ``scope["state"]``."""

    def __init__(self, app: Any, state: MockState) -> None:
        self.app, self.state = app, state

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or self.state.traffic is None:
            await self.app(scope, receive, send)
            return
        notes: dict[str, Any] = {}
        scope.setdefault("state", {})["sbs"] = notes
        started = time.time()
        status: dict[str, int] = {}

        async def capture(message: Any) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        await self.app(scope, receive, capture)
        self.state.record({"start": started, "end": time.time(), "method": scope["method"], "path": scope["path"],
                           "query": dict(query_of(scope)), "status": status.get("code"), **notes})


def _notes(request: Request) -> dict[str, Any]:
    return request.scope.get("state", {}).get("sbs", {})


def int64(raw: str | None) -> int | None:
    """A parameter as a non-negative int64, None when absent; ValueError when it is not one (a sign, letters,
    thousands of digits: checked by length before ``int`` so a huge value costs nothing)."""
    if raw is None:
        return None
    if len(raw) > 19 or not _DIGITS.match(raw) or int(raw) > INT64_MAX:
        raise ValueError(raw)
    return int(raw)


def incoming_korrelasjonsid(request: Request) -> str | None:
    """The caller's ``Korrelasjonsid`` header when it is a UUID (accepted, never required)."""
    value = request.headers.get("korrelasjonsid")
    if not value:
        return None
    try:
        return str(uuid.UUID(value.strip()))
    except ValueError:
        return None


def _asked_systemuser(assertion: str) -> tuple[str | None, str | None]:
    """What a (refused) grant asked for, for the client-check judge; nothing when it cannot be read."""
    try:
        return claimed_systemuser(decode_unverified(assertion)[1])
    except (jwt.PyJWTError, ValueError, TypeError):
        return None, None


class _Reject(Exception):
    def __init__(self, status: int, number: str) -> None:
        self.status, self.number = status, number


def create_app(state: MockState) -> Any:
    faults, variants = state.faults, state.variants
    mp = state.maskinporten
    foreign_key = new_rsa_key() if faults.on("jwks-wrong-key") else None

    def error(status: int, number: str, table: ec.CodeTable | None = None, request: Request | None = None
              ) -> Response:
        """The error body; the caller's Korrelasjonsid (a UUID) is echoed, else a fresh one is made."""
        if faults.on("wrong-error-codes") and status == 404:
            number = ec.VALIDATION
        code = (table or ec.TREKKPAALEGG).codes[number]
        if faults.on("plain-text-errors"):
            return PlainTextResponse(code.melding, status_code=status)
        korrelasjonsid = _FIXED_KORRELASJONSID if faults.on("reused-korrelasjonsid") else (
            (incoming_korrelasjonsid(request) if request is not None else None) or str(uuid.uuid4()))
        prefix = table.prefix if table is not None else "TP" if variants.on("error-prefix-tp") else state.error_prefix
        kode = ec.kode(number, prefix)
        body = {"kode": kode, "melding": code.melding, "korrelasjonsid": korrelasjonsid}
        headers = {"Retry-After": "1"} if status == 429 else None
        return JSONResponse(body, status_code=status, headers=headers)

    # -- Maskinporten --------------------------------------------------------------------------------
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
        notes = _notes(request)
        notes["kind"] = "token"
        try:
            verified = mp.verify(assertion)
        except GrantError as exc:
            asked_org, asked_ref = _asked_systemuser(assertion)
            notes["grant"] = {"ok": False, "rule": exc.rule, "error": exc.error, "mp_code": exc.mp_code,
                              "description": exc.description, "systemuser_org": asked_org,
                              "external_ref": asked_ref}
            return JSONResponse(exc.body(state.origin), status_code=exc.status)
        body = mp.issue(verified)
        issued = jwt.decode(body["access_token"], options={"verify_signature": False})
        notes["grant"] = {"ok": True, "jti": verified.claims.get("jti"), "auth": verified.client_amr,
                          "lifetime": body["expires_in"], "token_jti": issued["jti"],
                          "systemuser_org": verified.systemuser_org,
                          "external_ref": verified.system_user.external_ref if verified.system_user else None,
                          "consumer_org": verified.consumer_org}
        if faults.on("token-response-incomplete"):
            body.pop("expires_in")
            body.pop("scope")
        return JSONResponse(body, headers={"Cache-Control": "no-store"})

    # -- Trekkpålegg API -----------------------------------------------------------------------------
    def unauthenticated() -> _Reject:
        """No, a broken or an expired token: 401, or 403 as feil.md words it (a variant)."""
        return _Reject(403, ec.AUTHORISATION) if variants.on("feil-md-statuses") else _Reject(401, ec.AUTHENTICATION)

    def forbidden() -> _Reject:
        """A valid token without the scope: 403, or 401 as feil.md words it (a variant)."""
        return _Reject(401, ec.AUTHENTICATION) if variants.on("feil-md-statuses") else _Reject(403, ec.AUTHORISATION)

    def authorise(request: Request) -> str | None:
        """The trekkpliktig's org number from the bearer token, or raise _Reject(401/403)."""
        header = request.headers.get("authorization", "")
        if not header:
            if faults.on("accept-missing-token"):
                return None
            raise unauthenticated()
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer" or not value:
            raise unauthenticated()
        try:
            claims = mp.verify_access_token(value.strip(),
                                            check_signature=not faults.on("accept-invalid-signature"),
                                            check_expiry=not faults.on("accept-expired-token"))
        except AccessTokenError as exc:
            raise unauthenticated() from exc
        _notes(request)["token_jti"] = claims.get("jti")
        limit = state.behaviour.token_max_uses
        if limit is not None and state.use_token(str(claims.get("jti"))) > limit:
            raise unauthenticated()  # the scenario's token "expires" mid-sync
        if SCOPE not in str(claims.get("scope", "")).split() and not faults.on("ignore-scope"):
            raise forbidden()
        user_id = systemuser_id(claims)
        if user_id is not None:  # the system user must (still) hold the API's resource in Altinn
            user = mp.systemuser(user_id)
            if user is None or user.status != "approved" or RESOURCE not in user.rights:
                raise forbidden()
        if "supplier" in claims and state.assumptions.get("A-TP-DELEGATION", "accept") == "refuse":
            raise forbidden()
        return token_org(claims)

    def present(item: dict[str, Any], org: str) -> dict[str, Any]:
        """Apply the data faults and variants to one item (both operations show the same data)."""
        if variants.on("opprettet-local-time"):
            item["opprettet"] = item["opprettet"][:19]
        for period in item.get("trekkstoerrelseForPeriode") or []:
            if variants.on("sluttdato-null"):
                period.setdefault("sluttdato", None)
            if variants.on("basic-dates"):
                for key in ("startdato", "sluttdato"):
                    if isinstance(period.get(key), str):
                        period[key] = period[key].replace("-", "")
        if faults.on("invalid-opprettet"):
            item["opprettet"] = "09.08.2025 15:00"
        if faults.on("wrong-trekkpliktig"):
            item["trekkpliktig"] = OTHER_ORG
        if faults.on("invalid-identifiers"):
            item["skyldner"] = "10108412345"
        periods = item.get("trekkstoerrelseForPeriode") or []
        if faults.on("overlapping-periods") and len(periods) >= 2:
            periods[0]["sluttdato"] = periods[1]["startdato"]
            periods[1]["startdato"] = periods[0]["startdato"]
        return item

    async def api(request: Request, handler: Any) -> Response:
        notes = _notes(request)
        notes["kind"] = "api"
        behaviour = state.behaviour
        if behaviour.latency:
            await asyncio.sleep(behaviour.latency)
        call = state.next_api_call()
        if call in behaviour.transient:
            status, retry_after = behaviour.transient[call]
            notes["injected"] = status
            response = error(status, ec.UNEXPECTED, request=request)
            if retry_after is not None:
                response.headers["Retry-After"] = str(retry_after)
            return response
        try:
            org = authorise(request)
            if behaviour.forbidden:
                raise _Reject(403, ec.AUTHORISATION)
            if not accepts_json(request.headers.get("accept")) and not faults.on("ignore-accept"):
                raise _Reject(406, ec.FORMAT)
            if org is None:  # only with accept-missing-token
                return JSONResponse([])
            if not state.enter(org):
                raise _Reject(429, ec.UNEXPECTED)
            streamed = False
            try:
                response = handler(request, org)
                streamed = isinstance(response, StreamingResponse)  # it leaves when the stream ends
                return response
            finally:
                if not streamed:
                    state.leave(org)
        except _Reject as rej:
            return error(rej.status, rej.number, request=request)

    def list_handler(request: Request, org: str) -> Response:
        query = query_of(request.scope)
        fra_raw, maks_raw = query.get("fraSekvensnummer"), query.get("maksAntall")
        lenient = faults.on("lenient-paging-params")
        if (fra_raw is None) != (maks_raw is None) and not lenient:
            raise _Reject(400, ec.VALIDATION)
        try:
            fra, maks = int64(fra_raw), int64(maks_raw)
        except ValueError:
            raise _Reject(400, ec.VALIDATION) from None
        if maks is not None and maks < 1 and not lenient:
            raise _Reject(400, ec.VALIDATION)
        if lenient and maks_raw is not None and fra is None:
            fra = 0
        store = state.store(org)
        if faults.on("empty-org-404") and store.count() == 0:
            raise _Reject(404, ec.NOT_FOUND)
        if variants.on("empty-body") and store.count() == 0:
            return Response(b"", media_type="application/json")
        if faults.on("inclusive-fra") and fra is not None:
            fra -= 1
        if faults.on("ignore-maks-antall"):
            maks = None
        media_type = "text/plain" if faults.on("list-text-plain") else "application/json"
        notes = _notes(request)
        size = store.count_above(fra) if maks is None else min(maks, store.count_above(fra))
        if size > STREAM_ABOVE and not faults.on("all-versions-in-list") and not faults.on("unordered-pages"):
            # A long answer is built and sent a batch at a time: the mock's memory does not grow with it.
            if faults.on("short-page-before-end") and maks is not None and size == maks:
                size -= 1
            items = itertools.islice(store.iter_latest(fra, maks), size)
            return StreamingResponse(_stream(items, org, maks, notes), media_type=media_type)
        if faults.on("all-versions-in-list"):
            every = sorted((v for i in store.latest() for n in range(1, i["trekkversjon"] + 1)
                            if (v := store.version(i["trekkid"], n)) is not None), key=lambda v: v["sekvensnummer"])
            items = [v for v in every if fra is None or v["sekvensnummer"] > fra][:maks]
        else:
            items = store.latest(fra, maks)
        if faults.on("short-page-before-end") and maks is not None and len(items) == maks:
            items = items[:-1]
        if faults.on("unordered-pages"):
            items.reverse()
        body = [present(i, org) for i in items]
        notes["count"] = len(body)
        notes["short"] = maks is None or len(body) < maks
        notes["max_seq"] = max((int(i["sekvensnummer"]) for i in body), default=None)
        return JSONResponse(body, media_type=media_type)

    def _stream(items: Iterator[dict[str, Any]], org: str, maks: int | None, notes: dict[str, Any]
                ) -> Iterator[bytes]:
        count, max_seq, first = 0, None, True
        try:
            yield b"["
            for batch in iter(lambda: list(itertools.islice(items, STREAM_BATCH)), []):
                body = orjson.dumps([present(i, org) for i in batch])
                count += len(batch)
                max_seq = max(max_seq or 0, *(int(i["sekvensnummer"]) for i in batch))
                yield (b"" if first else b",") + body[1:-1]
                first = False
            yield b"]"
        finally:
            notes.update(count=count, short=maks is None or count < maks, max_seq=max_seq)
            state.leave(org)

    def version_handler(request: Request, org: str) -> Response:
        trekkid = request.path_params["trekkid"]
        raw = request.path_params["trekkversjon"]
        try:
            wanted = int64(raw)
        except ValueError:
            if faults.on("non-numeric-version-500"):
                raise _Reject(500, ec.UNEXPECTED) from None
            raise _Reject(400, ec.VALIDATION) from None
        assert wanted is not None
        store = state.store(org)
        latest = store.latest_version_number(trekkid)
        if latest is not None and faults.on("version-returns-latest") and wanted < latest:
            wanted = latest
        if latest is not None and faults.on("next-version-200") and wanted == latest + 1:
            wanted = latest
        item = store.version(trekkid, wanted)
        if item is None:
            raise _Reject(404, ec.NOT_FOUND)
        if faults.on("version-body-differs"):
            item["opprettet"] = "2001-01-01T00:00:00.00Z"
        item = present(item, org)
        if variants.on("version-extra-field"):
            item["kildesystem"] = "versjonsendepunktet"
        return JSONResponse(item)

    async def list_route(request: Request) -> Response:
        return await api(request, list_handler)

    async def version_route(request: Request) -> Response:
        return await api(request, version_handler)

    async def unknown_api_path(request: Request) -> Response:
        if faults.on("unknown-path-400"):
            return error(400, ec.VALIDATION, request=request)
        if variants.on("gateway-404"):  # the gateway's own answer, not the application's format (feil.md)
            return PlainTextResponse("404 NOT FOUND", status_code=404)
        if variants.on("das-002-unknown-path"):
            return error(404, ec.DAS_UNKNOWN_URL, ec.COMMON, request=request)
        return error(404, ec.UNKNOWN_URL, request=request)

    def unexpected(request: Request, exc: Exception) -> Response:
        """Any unexpected error: a 500 with the -001 body, never Starlette's bare text."""
        return error(500, ec.UNEXPECTED, request=request)

    async def openapi(request: Request) -> Response:
        return Response(bundled_spec_text(), media_type=SPEC_MEDIA_TYPE)

    routes = [  # the API first: it takes nearly every request, and routes are matched in order
        Route(API_BASE_PATH, list_route, methods=["GET"]),
        Route(API_BASE_PATH + "/{trekkid}/{trekkversjon}", version_route, methods=["GET"]),
        Route("/api/{rest:path}", unknown_api_path),
        Route("/.well-known/oauth-authorization-server", metadata, methods=["GET"]),
        Route("/jwk", jwk, methods=["GET"]),
        Route("/token", token, methods=["POST"]),
        Route("/openapi.yaml", openapi, methods=["GET"]),
    ]
    app = Starlette(routes=routes, exception_handlers={Exception: unexpected})
    app.state.mock = state
    return TrafficRecorder(app, state)
