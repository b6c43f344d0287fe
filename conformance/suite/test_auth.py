"""Authentication and authorisation: Maskinporten token and the API's 401/403 answers."""

from __future__ import annotations

import time

import jwt
import pytest

from conformance.maskinporten.certs import new_rsa_key
from conformance.maskinporten.grant import decode_unverified
from conformance.maskinporten.tokens import token_org


@pytest.mark.requirement("TP-AUTH-01")
def test_token_acquired_by_jwt_bearer_grant(maskinporten_token, sbs_session, check):
    body = maskinporten_token.response
    check.step(f"POST {sbs_session.settings.token_url} with a signed JWT-bearer grant")
    missing = [k for k in ("access_token", "token_type", "expires_in", "scope") if k not in body]
    assert not missing, f"token response lacks {', '.join(missing)}"
    assert str(body["token_type"]).lower() == "bearer", f"token_type is {body['token_type']!r}, expected Bearer"
    assert isinstance(body["expires_in"], int) and body["expires_in"] > 0, "expires_in is not a positive integer"
    assert sbs_session.settings.scope in str(body["scope"]).split(), (
        f"scope {body['scope']!r} does not contain {sbs_session.settings.scope}")


@pytest.mark.requirement("TP-AUTH-02")
def test_token_verifies_against_issuer_jwks(maskinporten_token, sbs_session, check):
    s = sbs_session.settings
    metadata_url = s.issuer.rstrip("/") + "/.well-known/oauth-authorization-server"
    check.step(f"GET {metadata_url}, then its jwks_uri")
    metadata = sbs_session.get_json(metadata_url)
    assert metadata.get("issuer") == s.issuer, f"metadata issuer {metadata.get('issuer')!r} is not {s.issuer!r}"
    jwks = jwt.PyJWKSet.from_dict(sbs_session.get_json(metadata["jwks_uri"]))
    header, _ = decode_unverified(maskinporten_token.access_token)
    keys = [k for k in jwks.keys if k.key_id == header.get("kid")]
    assert keys, f"no key with kid {header.get('kid')!r} in the issuer's JWKS"
    try:
        claims = jwt.decode(maskinporten_token.access_token, keys[0].key, algorithms=["RS256", "RS384", "RS512"],
                            issuer=s.issuer, options={"verify_aud": False, "require": ["exp", "iss"]})
    except jwt.PyJWTError as exc:
        raise AssertionError(f"access token does not verify against the JWKS: {exc}") from exc
    assert s.scope in str(claims.get("scope", "")).split(), f"token scope {claims.get('scope')!r} lacks {s.scope}"
    assert token_org(claims) == s.org, f"token organisation {token_org(claims)} is not --org {s.org}"


@pytest.mark.requirement("TP-AUTH-03")
def test_no_token_gives_401(sbs_session, maskinporten_token):
    response = sbs_session.client.request(token=None)
    assert response.status_code == 401, f"expected 401 without token, got {response.status_code}"


@pytest.mark.requirement("TP-AUTH-04")
def test_tampered_or_foreign_token_gives_401(sbs_session, maskinporten_token):
    token = maskinporten_token.access_token
    header, body, signature = token.split(".")
    flipped = signature[:-4] + ("AAAA" if signature[-4:] != "AAAA" else "BBBB")
    foreign = jwt.encode(decode_unverified(token)[1], new_rsa_key(), algorithm="RS256",
                         headers={"kid": decode_unverified(token)[0].get("kid")})
    sbs_session.evidence.redactor.register(foreign, "foreign-token")
    for what, value in (("tampered signature", f"{header}.{body}.{flipped}"), ("foreign-signed token", foreign)):
        sbs_session.evidence.redactor.register(value, "tampered-token")
        response = sbs_session.client.request(token=value)
        assert response.status_code == 401, f"expected 401 for a {what}, got {response.status_code}"


@pytest.mark.requirement("TP-AUTH-05")
def test_other_scope_gives_403(sbs_session, maskinporten_token):
    scope = sbs_session.other_scope
    if not scope:
        pytest.skip("no second scope configured (--other-scope)")
    other = sbs_session.maskinporten(scope=scope)
    response = sbs_session.client.request(token=other.access_token())
    assert response.status_code == 403, f"expected 403 with a token for scope {scope}, got {response.status_code}"


@pytest.mark.requirement("TP-AUTH-06")
def test_expired_token_gives_401(sbs_session, maskinporten_token, check):
    if sbs_session.mock is not None:
        claims = decode_unverified(maskinporten_token.access_token)[1]
        expired = sbs_session.mock.state.maskinporten.mint(
            client_id=claims["client_id"], org=sbs_session.settings.org, scope=claims["scope"],
            now=time.time() - 600, lifetime=120)
        sbs_session.evidence.redactor.register(expired, "expired-token")
        check.step("token minted by the embedded mock, expired 8 minutes ago")
    elif sbs_session.settings.slow:
        fresh = sbs_session.maskinporten().token(force=True)
        wait = max(0.0, fresh.expires_at - time.time()) + 5
        check.step(f"waited {wait:.0f} s for a token to expire")
        time.sleep(wait)
        expired = fresh.access_token
    else:
        pytest.skip("needs --slow on a real target (waits out a token's lifetime)")
    response = sbs_session.client.request(token=expired)
    assert response.status_code == 401, f"expected 401 with an expired token, got {response.status_code}"
