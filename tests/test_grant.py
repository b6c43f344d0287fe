"""Grant building and verification: every Maskinporten rejection rule, each with its error and MP-code."""

from __future__ import annotations

import base64
import datetime as dt
import time
import uuid

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding

from conformance import SCOPE
from conformance.maskinporten.certs import make_test_pki, new_rsa_key, orgnr_from_certificate
from conformance.maskinporten.grant import (
    GrantError,
    MemoryJtiStore,
    RegisteredClient,
    SigningCredential,
    build_grant,
    decode_unverified,
    verify_grant,
)

ISSUER = "https://test.maskinporten.no/"
ORG = "310702641"
CUSTOMER = "313367002"
KEY = new_rsa_key()
PKI = make_test_pki(ORG)


class Registry(dict):
    def get_client(self, client_id):
        return self.get(client_id)


@pytest.fixture
def registry():
    client = RegisteredClient("client-1", ORG, frozenset({SCOPE}), keys={"kid-1": KEY.public_key()},
                              systemuser_orgs={CUSTOMER: str(uuid.uuid4())})
    return Registry({"client-1": client})


def verify(assertion, registry, **kw):
    kw.setdefault("jti_store", MemoryJtiStore())
    trusted = [PKI.ca_cert, WRONG_ORG_PKI.ca_cert, EXPIRED_PKI.ca_cert]  # not OTHER_PKI's
    return verify_grant(assertion, issuer=ISSUER, registry=registry, trusted_cas=trusted, **kw)


def grant(claims_update=None, header=None, key=KEY, alg="RS256", drop=()):
    now = int(time.time())
    claims = {"aud": ISSUER, "iss": "client-1", "scope": SCOPE, "iat": now, "exp": now + 100,
              "jti": str(uuid.uuid4())}
    claims.update(claims_update or {})
    for name in drop:
        claims.pop(name)
    return jwt.encode(claims, key, algorithm=alg, headers=header if header is not None else {"kid": "kid-1"})


def x5c(*certs):
    return [base64.b64encode(c.public_bytes(Encoding.DER)).decode() for c in certs]


def test_built_grant_follows_the_rules_and_verifies(registry):
    g = build_grant(SigningCredential(KEY, kid="kid-1"), client_id="client-1", issuer=ISSUER, scopes=[SCOPE])
    header, claims = decode_unverified(g)
    assert header == {"alg": "RS256", "typ": "JWT", "kid": "kid-1"}
    assert claims["aud"] == ISSUER and claims["iss"] == "client-1" and claims["scope"] == SCOPE
    assert 0 < claims["exp"] - claims["iat"] <= 120 and uuid.UUID(claims["jti"])
    verified = verify(g, registry)
    assert verified.client_amr == "private_key_jwt" and verified.systemuser_org is None


def test_fresh_jti_per_grant():
    cred = SigningCredential(KEY, kid="kid-1")
    jtis = {decode_unverified(build_grant(cred, client_id="c", issuer=ISSUER, scopes=[SCOPE]))[1]["jti"]
            for _ in range(5)}
    assert len(jtis) == 5


def test_x5c_grant_verifies_and_reads_orgnr_from_certificate(registry):
    g = build_grant(SigningCredential(PKI.leaf_key, x5c=(PKI.leaf_cert, PKI.ca_cert)), client_id="client-1",
                    issuer=ISSUER, scopes=[SCOPE])
    assert isinstance(decode_unverified(g)[0]["x5c"], list)
    assert verify(g, registry).client_amr == "virksomhetssertifikat"
    assert orgnr_from_certificate(make_test_pki(ORG, seid2=False).leaf_cert) == ORG


def test_systembruker_grant_names_the_customer(registry):
    g = build_grant(SigningCredential(KEY, kid="kid-1"), client_id="client-1", issuer=ISSUER, scopes=[SCOPE],
                    systemuser_org=CUSTOMER)
    details = decode_unverified(g)[1]["authorization_details"]
    assert details == [{"type": "urn:altinn:systemuser",
                        "systemuser_org": {"authority": "iso6523-actorid-upis", "ID": f"0192:{CUSTOMER}"}}]
    assert verify(g, registry).systemuser_org == CUSTOMER


OTHER_PKI = make_test_pki(ORG)  # same orgnr, but a CA the verifier does not trust
WRONG_ORG_PKI = make_test_pki("974761076")
EXPIRED_PKI = make_test_pki(ORG, valid_days=1, not_before=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))


def now():
    return int(time.time())


CASES = {
    "alg HS256": (lambda: jwt.encode({"iss": "client-1"}, "secret-secret-secret-secret-32by", algorithm="HS256",
                                     headers={"kid": "kid-1"}), "invalid_grant", "MP-011", "alg"),
    "alg ES256": (lambda: grant(key=ec.generate_private_key(ec.SECP256R1()), alg="ES256"), "invalid_grant", "MP-011",
                  "alg"),
    "both kid and x5c": (lambda: grant(header={"kid": "kid-1", "x5c": x5c(PKI.leaf_cert)}), "invalid_grant",
                         "MP-011", "kid_or_x5c"),
    "neither kid nor x5c": (lambda: grant(header={}), "invalid_grant", "MP-011", "kid_or_x5c"),
    "unknown client": (lambda: grant({"iss": "nobody"}), "invalid_grant", "MP-100", "iss"),
    "unknown kid": (lambda: grant(header={"kid": "other"}), "invalid_grant", None, "kid"),
    "x5c as string": (lambda: grant(header={"x5c": x5c(PKI.leaf_cert)[0]}), "invalid_grant", "MP-123", "x5c"),
    "x5c not base64 DER": (lambda: grant(header={"x5c": ["bm90IGEgY2VydA=="]}), "invalid_grant", "MP-123", "x5c"),
    "x5c untrusted CA": (lambda: grant(header={"x5c": x5c(OTHER_PKI.leaf_cert, OTHER_PKI.ca_cert)},
                                       key=OTHER_PKI.leaf_key), "invalid_grant", "MP-120", "certificate"),
    "x5c expired certificate": (lambda: grant(header={"x5c": x5c(EXPIRED_PKI.leaf_cert)}, key=EXPIRED_PKI.leaf_key),
                                "invalid_grant", "MP-120", "certificate"),
    "x5c other organisation": (lambda: grant(header={"x5c": x5c(WRONG_ORG_PKI.leaf_cert)},
                                             key=WRONG_ORG_PKI.leaf_key), "invalid_grant", "MP-122",
                               "certificate_org"),
    "signature by another key": (lambda: grant(key=new_rsa_key()), "invalid_grant", "MP-124", "signature"),
    "aud as array": (lambda: grant({"aud": [ISSUER]}), "invalid_grant", "MP-110", "aud"),
    "aud = token URL": (lambda: grant({"aud": ISSUER + "token"}), "invalid_grant", "MP-110", "aud"),
    "aud without slash": (lambda: grant({"aud": ISSUER.rstrip("/")}), "invalid_grant", "MP-110", "aud"),
    "lifetime 121 s": (lambda: grant({"iat": now(), "exp": now() + 121}), "invalid_grant", None, "lifetime"),
    "iat 30 s ahead": (lambda: grant({"iat": now() + 30, "exp": now() + 60}), "invalid_grant", None, "iat_future"),
    "expired grant": (lambda: grant({"iat": now() - 200, "exp": now() - 100}), "invalid_grant", "MP-130", "expired"),
    "iat 20 s old": (lambda: grant({"iat": now() - 20, "exp": now() + 60}), "invalid_grant", "MP-130", "expired"),
    "missing exp": (lambda: grant(drop=("exp",)), "invalid_request", "MP-011", "timing"),
    "unknown claim": (lambda: grant({"foo": "bar"}), "invalid_request", "MP-011", "claims"),
    "sub other than client": (lambda: grant({"sub": "someone"}), "invalid_request", "MP-011", "claims"),
    "scope not on client": (lambda: grant({"scope": "skatteetaten:annet"}), "invalid_scope", "MP-200", "scope"),
    "no scope": (lambda: grant(drop=("scope",)), "invalid_scope", "MP-200", "scope"),
    "RAR unknown type": (lambda: grant({"authorization_details": [{"type": "urn:altinn:consent"}]}),
                         "invalid_request", "MP-301", "rar"),
    "RAR unknown field": (lambda: grant({"authorization_details": [{
        "type": "urn:altinn:systemuser", "systemuserorg": {}}]}), "invalid_request", "MP-302", "rar"),
    "RAR bad org value": (lambda: grant({"authorization_details": [{
        "type": "urn:altinn:systemuser", "systemuser_org": {"authority": "x", "ID": CUSTOMER}}]}),
        "invalid_request", "MP-303", "rar"),
    "system user not approved": (lambda: grant({"authorization_details": [{
        "type": "urn:altinn:systemuser",
        "systemuser_org": {"authority": "iso6523-actorid-upis", "ID": "0192:974761076"}}]}),
        "invalid_altinn_customer_configuration", "MP-303", "systemuser"),
    "not a JWT": (lambda: "abc.def", "invalid_request", "MP-011", "syntax"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_rejection(case, registry):
    make, error, mp_code, rule = CASES[case]
    with pytest.raises(GrantError) as info:
        verify(make(), registry)
    assert (info.value.error, info.value.mp_code, info.value.rule) == (error, mp_code, rule)
    body = info.value.body("https://test.maskinporten.no")
    assert body["error"] == error and body["error_description"]
    if mp_code:
        assert body["error_uri"].endswith(f"/errors/{mp_code}")


def test_reused_jti_is_rejected_with_mp_012(registry):
    store = MemoryJtiStore()
    g = grant()
    verify(g, registry, jti_store=store)
    with pytest.raises(GrantError) as info:
        verify(g, registry, jti_store=store)
    assert (info.value.error, info.value.mp_code) == ("invalid_grant", "MP-012")


def test_sub_equal_to_client_and_lenient_mode_are_accepted(registry):
    assert verify(grant({"sub": "client-1"}), registry)
    assert verify(grant({"foo": "bar"}), registry, strict_claims=False)


def test_server_lifetime_is_configurable(registry):
    assert verify(grant({"iat": now(), "exp": now() + 170}), registry, max_lifetime=180)
