"""Authentication and authorisation, for every API: Maskinporten token and the API's 401/403 answers."""

from __future__ import annotations

import functools
import time
from typing import Any

import jwt
import pytest

from conformance.errors import TokenResponseError
from conformance.maskinporten.certs import new_rsa_key
from conformance.maskinporten.grant import decode_unverified
from conformance.maskinporten.tokens import token_org
from conformance.outcomes import expect, fail, skip
from conformance.suite.support import judge_refusal

ACCESS_TOKEN_ALGS = ["RS256", "RS384", "RS512"]
# The API's auth-status assumption (A-TP-AUTH-STATUS, ...): value -> (statuses for no/invalid/expired token,
# statuses for a valid token without the scope)
AUTH_STATUSES = {"http": ((401,), (403,)), "as-worded-in-feil": ((403,), (401,)), "either": ((401, 403), (401, 403))}


def _refused(sbs_session, check, response, what: str, unauthenticated: bool = True) -> None:
    """Judged by the documentation (a refusal, not a 5xx) and by the API's auth-status assumption (which status).
    The error body of a 401/403 may come from the gateway: its shape is the ERR-03 check's concern."""
    assumption = sbs_session.profile.common.auth_status_assumption
    statuses = AUTH_STATUSES[sbs_session.assumed(assumption)][0 if unauthenticated else 1]
    judge_refusal(check, response, what=what, assumption=assumption, expected=statuses, body=False)


def _probe(sbs_session, token):
    """A call the API serves a valid token (the list, a person's year, ...), with ``token`` instead."""
    return sbs_session.client.request(sbs_session.profile.common.probe(sbs_session), token=token)


@pytest.mark.requirement("*-AUTH-01")
def test_token_acquired_by_jwt_bearer_grant(sbs_session, check):
    check.step("api.auth.token_post", url=sbs_session.settings.token_url)
    try:
        body = sbs_session.token().response
    except TokenResponseError as exc:  # the token endpoint answered 200 with something that is no token answer
        fail("api.auth.token_unusable", cause=exc.cause)
    missing = [k for k in ("access_token", "token_type", "expires_in", "scope") if k not in body]
    expect(not missing, "api.auth.token_lacks", fields=missing)
    expect(str(body["token_type"]).lower() == "bearer", "api.auth.token_type", got=repr(body["token_type"]))
    expires_in = body["expires_in"]
    expect(isinstance(expires_in, int) and not isinstance(expires_in, bool) and expires_in > 0,
           "api.auth.expires_in", got=repr(expires_in)[:40])
    expect(sbs_session.settings.scope in str(body["scope"]).split(), "api.auth.scope_missing",
           scope=repr(body["scope"])[:80], wanted=sbs_session.settings.scope)


def usable_keys(jwks: Any) -> tuple[list[jwt.PyJWK], list[str]]:
    """The signing keys PyJWT can use from a JWKS document, and what is wrong with the others (our own words:
    PyJWT's message for an empty set blames a missing library)."""
    if not isinstance(jwks, dict) or not isinstance(jwks.get("keys"), list):
        return [], ["not a JWK set (an object with a list 'keys')"]
    keys, problems = [], []
    for n, entry in enumerate(jwks["keys"], start=1):
        try:
            keys.append(jwt.PyJWK(entry))
        except (jwt.PyJWKError, jwt.InvalidKeyError, KeyError, TypeError, ValueError, AttributeError) as exc:
            kid = entry.get("kid") if isinstance(entry, dict) else None
            problems.append(f"key {n}{f' ({kid})' if kid else ''}: {type(exc).__name__} {str(exc)[:80]}")
    return keys, problems


@pytest.mark.requirement("*-AUTH-02")
def test_token_verifies_against_issuer_jwks(maskinporten_token, sbs_session, check):
    s = sbs_session.settings
    metadata_url = s.issuer.rstrip("/") + "/.well-known/oauth-authorization-server"
    check.step("api.auth.jwks_fetch", url=metadata_url)
    metadata = sbs_session.get_json(metadata_url)
    expect(isinstance(metadata, dict), "api.auth.metadata_not_object")
    expect(metadata.get("issuer") == s.issuer, "api.auth.metadata_issuer", got=repr(metadata.get("issuer")),
           wanted=repr(s.issuer))
    jwks_uri = metadata.get("jwks_uri")
    expect(isinstance(jwks_uri, str) and jwks_uri.startswith(("http://", "https://")), "api.auth.no_jwks_uri")
    keys, problems = usable_keys(sbs_session.get_json(jwks_uri))
    expect(keys, "api.auth.jwks_unusable", problems=problems[:3] or ["no keys"])
    header, _ = decode_unverified(maskinporten_token.access_token)
    matching = [k for k in keys if k.key_id == header.get("kid")]
    expect(matching, "api.auth.kid_not_in_jwks", kid=repr(header.get("kid")))
    try:
        claims = jwt.decode(maskinporten_token.access_token, matching[0].key, algorithms=ACCESS_TOKEN_ALGS,
                            issuer=s.issuer, options={"verify_aud": False, "require": ["exp", "iss"]})
    except jwt.PyJWTError as exc:
        fail("api.auth.token_not_verified", cause=f"{type(exc).__name__}: {exc}")
    expect(s.scope in str(claims.get("scope", "")).split(), "api.auth.claim_scope", got=repr(claims.get("scope")),
           wanted=s.scope)
    expect(token_org(claims) == sbs_session.acting_org, "api.auth.claim_org", got=token_org(claims),
           wanted=sbs_session.acting_org)


@pytest.mark.requirement("*-AUTH-03")
def test_no_token_gives_401(sbs_session, token, check):
    _refused(sbs_session, check, _probe(sbs_session, None), "api.auth.what_no_token")


@functools.cache
def _foreign_key() -> Any:
    """A key no issuer knows, one per process: every API's check signs with it (a fresh key per API costs ~80 ms
    and shows nothing more)."""
    return new_rsa_key()


@pytest.mark.requirement("*-AUTH-04")
def test_tampered_or_foreign_token_gives_401(sbs_session, token, check):
    value = token.access_token
    header, body, signature = value.split(".")
    flipped = signature[:-4] + ("AAAA" if signature[-4:] != "AAAA" else "BBBB")
    foreign = jwt.encode(decode_unverified(value)[1], _foreign_key(), algorithm="RS256",
                         headers={"kid": decode_unverified(value)[0].get("kid")})
    sbs_session.evidence.redactor.register(foreign, "foreign-token")
    for what, bad in (("api.auth.what_tampered", f"{header}.{body}.{flipped}"), ("api.auth.what_foreign", foreign)):
        sbs_session.evidence.redactor.register(bad, "tampered-token")
        _refused(sbs_session, check, _probe(sbs_session, bad), what)


@pytest.mark.requirement("*-AUTH-05")
def test_other_scope_gives_403(sbs_session, token, check):
    scope = sbs_session.other_scope
    if not scope:
        skip("api.auth.no_other_scope")
    other = sbs_session.maskinporten(scope=scope, **sbs_session.token_options)  # only the scope differs
    check.step("api.auth.other_scope_token", scope=scope)
    _refused(sbs_session, check, _probe(sbs_session, other.access_token()), "api.auth.what_other_scope",
             unauthenticated=False)


@pytest.mark.requirement("*-AUTH-06")
def test_expired_token_gives_401(sbs_session, token, check):
    if sbs_session.mock is not None:
        claims = decode_unverified(token.access_token)[1]
        consumer = str((claims.get("consumer") or {}).get("ID") or sbs_session.settings.org).split(":")[-1]
        same = {k: claims[k] for k in ("authorization_details",) if k in claims}  # only the times differ
        expired = sbs_session.mock.state.maskinporten.mint(
            client_id=claims["client_id"], org=consumer, scope=claims["scope"], now=time.time() - 600,
            lifetime=120, **same)
        sbs_session.evidence.redactor.register(expired, "expired-token")
        check.step("api.auth.expired_minted")
    elif sbs_session.settings.slow:
        fresh = sbs_session.maskinporten().token(force=True)
        wait = max(0.0, fresh.expires_at - time.time()) + 5
        check.step("api.auth.expired_waited", seconds=round(wait))
        time.sleep(wait)
        expired = fresh.access_token
    else:
        skip("api.auth.needs_slow")
    _refused(sbs_session, check, _probe(sbs_session, expired), "api.auth.what_expired")
