"""Grant building and verification: every Maskinporten rejection rule, each with its error and MP-code."""

from __future__ import annotations

import base64
import datetime as dt
import time
import uuid

import jwt
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

from conformance.maskinporten.certs import make_test_pki, new_rsa_key, orgnr_from_certificate
from conformance.maskinporten.grant import (
    GrantError,
    GrantPolicy,
    MemoryJtiStore,
    RegisteredClient,
    SigningCredential,
    SystemUser,
    build_grant,
    decode_unverified,
    verify_grant,
)
from conformance.profiles.trekkpaalegg import SCOPE

ISSUER = "https://test.maskinporten.no/"
ORG = "310702641"
CUSTOMER = "313367002"
KEY = new_rsa_key()
PKI = make_test_pki(ORG)


SYSTEM = f"{ORG}_lonn"
RESOURCE = "ske-informasjon-om-trekkpaalegg"
DELEGATING = "974761076"  # delegated skatteetaten:trekkpaalegg to ORG in Altinn


class Registry(dict):
    """Clients, system users and API delegations: the ClientRegistry the verifier asks."""

    def __init__(self, clients, users=(), delegations=()):
        super().__init__(clients)
        self.users, self.delegations = list(users), set(delegations)

    def get_client(self, client_id):
        return self.get(client_id)

    def system_users(self, system_id, customer_org):
        return [u for u in self.users if u.system_id == system_id and u.customer_org == customer_org]

    def delegated(self, consumer_org, supplier_org, scope):
        return (consumer_org, supplier_org, scope) in self.delegations


def user(customer=CUSTOMER, status="approved", external_ref=None, rights=frozenset({RESOURCE})):
    return SystemUser(str(uuid.uuid4()), SYSTEM, customer, rights, external_ref, status)


@pytest.fixture
def registry():
    client = RegisteredClient("client-1", ORG, frozenset({SCOPE}), keys={"kid-1": KEY.public_key()}, system_id=SYSTEM)
    return Registry({"client-1": client}, users=[user()], delegations={(DELEGATING, ORG, SCOPE)})


def verify(assertion, registry, **kw):
    kw.setdefault("jti_store", MemoryJtiStore())
    kw.setdefault("trusted_cas", [PKI.ca_cert, WRONG_ORG_PKI.ca_cert, EXPIRED_PKI.ca_cert])  # not OTHER_PKI's
    return verify_grant(assertion, issuer=ISSUER, registry=registry, **kw)


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


def issued_by(issuer_cert, issuer_key, orgnr, *, ca=False, key_cert_sign=None):
    """A certificate for ``orgnr`` signed by any certificate's key: a rogue issuer when that one is no CA."""
    key = new_rsa_key()
    start = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_IDENTIFIER, f"NTRNO-{orgnr}"),
                      x509.NameAttribute(NameOID.COMMON_NAME, f"issued for {orgnr}")])
    builder = (x509.CertificateBuilder().subject_name(name).issuer_name(issuer_cert.subject)
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(start).not_valid_after(start + dt.timedelta(days=30))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if key_cert_sign is not None:
        builder = builder.add_extension(x509.KeyUsage(
            digital_signature=True, content_commitment=False, key_encipherment=False, data_encipherment=False,
            key_agreement=False, key_cert_sign=key_cert_sign, crl_sign=False, encipher_only=False,
            decipher_only=False), critical=True)
    return builder.sign(issuer_key, hashes.SHA256()), key


# A leaf of ORG (no CA) issues a certificate for another organisation, and one for ORG itself.
ROGUE_B, ROGUE_B_KEY = issued_by(PKI.leaf_cert, PKI.leaf_key, "974761076")
ROGUE_A, ROGUE_A_KEY = issued_by(PKI.leaf_cert, PKI.leaf_key, ORG)
# An intermediate that says CA:TRUE but may not sign certificates (keyUsage without keyCertSign).
NOSIGN_CA, NOSIGN_CA_KEY = issued_by(PKI.ca_cert, PKI.ca_key, ORG, ca=True, key_cert_sign=False)
NOSIGN_LEAF, NOSIGN_LEAF_KEY = issued_by(NOSIGN_CA, NOSIGN_CA_KEY, ORG)
# A proper intermediate: the chain leaf -> intermediate -> trusted root verifies.
GOOD_CA, GOOD_CA_KEY = issued_by(PKI.ca_cert, PKI.ca_key, ORG, ca=True, key_cert_sign=True)
GOOD_LEAF, GOOD_LEAF_KEY = issued_by(GOOD_CA, GOOD_CA_KEY, ORG)


def rar(org, external_ref=None):
    detail = {"type": "urn:altinn:systemuser", "systemuser_org": {"authority": "iso6523-actorid-upis",
                                                                   "ID": f"0192:{org}"}}
    if external_ref is not None:
        detail["externalRef"] = external_ref
    return {"authorization_details": [detail]}


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
    "RAR unknown type": (lambda: grant({"authorization_details": [{"type": "urn:altinn:ukjent"}]}),
                         "invalid_request", "MP-301", "rar"),
    "RAR consent not found": (lambda: grant({"authorization_details": [{"type": "urn:altinn:consent", "id": "x"}]}),
                              "invalid_altinn_consent", None, "consent"),
    "RAR consent unknown field": (lambda: grant({"authorization_details": [{
        "type": "urn:altinn:consent", "id": "x", "from": "urn:altinn:person:identifier-no:1"}]}),
        "invalid_request", "MP-302", "rar"),
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
    # -- what Digdir refuses and the mock once let through (issue 10) ----------------------------------------
    "consumer_org without delegation": (lambda: grant({"consumer_org": "313367002"}), "forbidden", "MP-251",
                                        "delegation"),
    "consumer_org = own organisation": (lambda: grant({"consumer_org": ORG}), "invalid_request", None,
                                        "delegation"),
    "consumer_org not 9 digits": (lambda: grant({"consumer_org": "12345"}), "invalid_request", "MP-011",
                                  "delegation"),
    "consumer_org with iss_onbehalfof": (lambda: grant({"consumer_org": DELEGATING, "iss_onbehalfof": "x"}),
                                         "invalid_request", "MP-011", "delegation"),
    "iat NaN": (lambda: grant({"iat": float("nan")}), "invalid_request", "MP-011", "timing"),
    "exp Infinity": (lambda: grant({"exp": float("inf")}), "invalid_request", "MP-011", "timing"),
    "iat a string": (lambda: grant({"iat": str(now())}), "invalid_request", "MP-011", "timing"),
    "iat true": (lambda: grant({"iat": True}), "invalid_request", "MP-011", "timing"),
    "exp before iat": (lambda: grant({"iat": now(), "exp": now() - 5}), "invalid_request", "MP-011", "timing"),
    "nbf claim": (lambda: grant({"nbf": now()}), "invalid_request", "MP-011", "claims"),
    "resource as string": (lambda: grant({"resource": "https://api.skatteetaten.no"}), "invalid_request",
                           "MP-011", "claims"),
    "x5c: org A's leaf issued org B's certificate": (
        lambda: grant(header={"x5c": x5c(ROGUE_B, PKI.leaf_cert, PKI.ca_cert)}, key=ROGUE_B_KEY),
        "invalid_grant", "MP-120", "certificate"),
    "x5c: own leaf issued the signing certificate": (
        lambda: grant(header={"x5c": x5c(ROGUE_A, PKI.leaf_cert, PKI.ca_cert)}, key=ROGUE_A_KEY),
        "invalid_grant", "MP-120", "certificate"),
    "x5c: intermediate without keyCertSign": (
        lambda: grant(header={"x5c": x5c(NOSIGN_LEAF, NOSIGN_CA, PKI.ca_cert)}, key=NOSIGN_LEAF_KEY),
        "invalid_grant", "MP-120", "certificate"),
    "system user pending": (lambda: grant(rar("915933149")), "invalid_altinn_customer_configuration", "MP-303",
                            "systemuser"),
    "system user rejected": (lambda: grant(rar("916844166")), "invalid_altinn_customer_configuration", "MP-303",
                             "systemuser"),
    "externalRef not known": (lambda: grant(rar(CUSTOMER, "no-such-ref")), "invalid_altinn_customer_configuration",
                              "MP-303", "systemuser"),
    "externalRef not a string": (lambda: grant(rar(CUSTOMER, 7)), "invalid_request", "MP-303", "rar"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_rejection(case, registry):
    registry.users += [user("915933149", status="pending"), user("916844166", status="rejected")]
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


def test_delegation_from_the_consumer_is_accepted(registry):
    verified = verify(grant({"consumer_org": DELEGATING}), registry)
    assert verified.consumer_org == DELEGATING and verified.systemuser_org is None
    with pytest.raises(GrantError) as info:  # the delegation is for one scope, not another
        verify(grant({"consumer_org": DELEGATING, "scope": "skatteetaten:annet"}), registry)
    assert (info.value.error, info.value.mp_code, info.value.status) == ("forbidden", "MP-251", 403)


def test_x5c_through_a_proper_intermediate_is_accepted(registry):
    g = grant(header={"x5c": x5c(GOOD_LEAF, GOOD_CA, PKI.ca_cert)}, key=GOOD_LEAF_KEY)
    assert verify(g, registry).client_amr == "virksomhetssertifikat"


def test_no_trusted_anchor_accepts_no_certificate(registry):
    g = grant(header={"x5c": x5c(PKI.leaf_cert, PKI.ca_cert)}, key=PKI.leaf_key)
    with pytest.raises(GrantError) as info:
        verify(g, registry, trusted_cas=[])
    assert info.value.mp_code == "MP-120"


def test_kid_and_x5c_is_a_named_assumption(registry):
    both = {"kid": "kid-1", "x5c": x5c(PKI.leaf_cert, PKI.ca_cert)}
    with pytest.raises(GrantError) as info:
        verify(grant(header=both), registry)
    assert info.value.assumed and info.value.rule == "kid_or_x5c"
    assert verify(grant(header=both), registry, policy=GrantPolicy(kid_and_x5c="use-kid")).client_amr == \
        "private_key_jwt"
    by_cert = grant(header=both, key=PKI.leaf_key)
    assert verify(by_cert, registry, policy=GrantPolicy(kid_and_x5c="use-x5c")).client_amr == "virksomhetssertifikat"


def test_old_iat_with_valid_exp_is_a_named_assumption(registry):
    stale = {"iat": now() - 30, "exp": now() + 60}
    with pytest.raises(GrantError) as info:
        verify(grant(stale), registry)
    assert info.value.mp_code == "MP-130"
    assert verify(grant(stale), registry, policy=GrantPolicy(iat_past="accept"))


def test_external_ref_selects_among_system_users(registry):
    registry.users += [user(external_ref="avd-2"), user(external_ref="avd-3", status="pending")]
    default, second = verify(grant(rar(CUSTOMER)), registry), verify(grant(rar(CUSTOMER, "avd-2")), registry)
    assert default.system_user.external_ref is None and second.system_user.external_ref == "avd-2"
    assert default.system_user.id != second.system_user.id
    with pytest.raises(GrantError) as info:
        verify(grant(rar(CUSTOMER, "avd-3")), registry)
    assert "pending" in info.value.description and info.value.mp_code == "MP-303"


def test_system_user_of_another_system_is_not_found(registry):
    registry.users = [SystemUser(str(uuid.uuid4()), "999999999_other", CUSTOMER, frozenset({RESOURCE}))]
    with pytest.raises(GrantError) as info:
        verify(grant(rar(CUSTOMER)), registry)
    assert info.value.error == "invalid_altinn_customer_configuration"


def test_system_user_for_the_vendors_own_organisation(registry):
    registry.users.append(user(ORG))
    assert verify(grant(rar(ORG)), registry).systemuser_org == ORG


def test_built_grant_carries_external_ref():
    g = build_grant(SigningCredential(KEY, kid="kid-1"), client_id="client-1", issuer=ISSUER, scopes=[SCOPE],
                    systemuser_org=CUSTOMER, external_ref="avd-2")
    assert decode_unverified(g)[1]["authorization_details"][0]["externalRef"] == "avd-2"
