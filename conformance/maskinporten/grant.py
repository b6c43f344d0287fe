"""The Maskinporten JWT-bearer grant: its rules, in one place, to build a grant and to verify one.

The client builds grants with :func:`build_grant`; the mock's token endpoint (and the client judge)
verifies them with :func:`verify_grant`. Rules follow Digdir's "JWT grant" and "/token" pages
(https://docs.digdir.no/docs/Maskinporten/maskinporten_protocol_jwtgrant) and the MP-codes of the
troubleshooting page (https://docs.digdir.no/docs/Maskinporten/maskinporten_feilsoking). Where Digdir
documents no MP-code for a rule, the code here is our assumption and says so in ``GrantError.assumed``.
"""

from __future__ import annotations

import base64
import itertools
import json
import math
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

import jwt
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.serialization import Encoding

from conformance.maskinporten.certs import orgnr_from_certificate

GRANT_TYPE = "urn:ietf:params:oauth:grant-type:jwt-bearer"
ALLOWED_ALGS = ("RS256", "RS384", "RS512")
MAX_GRANT_LIFETIME = 120  # exp - iat, seconds (documented; the server reportedly allows 180)
CLOCK_SKEW = 10  # iat within +-10 s of the server clock
CLIENT_GRANT_LIFETIME = 110  # what our client uses: safely under the maximum
SYSTEMUSER_TYPE = "urn:altinn:systemuser"
CONSENT_TYPE = "urn:altinn:consent"  # Altinn 3 consent carried in the token (seen in Altinn's TT02 tests)
CONSENT_HEADER = "AltinnSamtykke"  # Altinn 2: the consent token sent beside the Maskinporten token
CONSENT_FIELDS = frozenset({"type", "id"})
ORG_AUTHORITY = "iso6523-actorid-upis"
#: The claims Digdir allows in a grant (DD-GRANT: others give 400 "Invalid assertion"); ``sub`` is accepted when it
#: equals the client id, as Altinn's examples and working clients send it.
KNOWN_CLAIMS = frozenset(
    {"aud", "iss", "iat", "exp", "jti", "scope", "resource", "pid", "consumer_org", "iss_onbehalfof",
     "authorization_details", "sub"}
)
SYSTEMUSER_FIELDS = frozenset({"type", "systemuser_org", "externalRef"})
DELEGATION_SOURCE = "https://tt02.altinn.no/"  # Altinn TT02: where Maskinporten TEST finds delegations


class GrantError(Exception):
    """A rejected grant, as Maskinporten answers it: ``error``, ``error_description`` and an MP-code."""

    def __init__(self, error: str, mp_code: str | None, description: str, rule: str,
                 assumed: bool = False, status: int = 400) -> None:
        super().__init__(f"{error} ({mp_code or 'no MP-code'}): {description}")
        self.error = error
        self.mp_code = mp_code
        self.description = description
        self.rule = rule  # short rule name, e.g. "aud", "jti", used by the client judge
        self.assumed = assumed  # True when Digdir documents no code for this case
        self.status = status  # HTTP status of the answer: 400, or 403 for "forbidden" (that one is [?])

    def body(self, error_uri_base: str | None = None) -> dict[str, str]:
        out = {"error": self.error, "error_description": self.description}
        if self.mp_code and error_uri_base:
            out["error_uri"] = f"{error_uri_base.rstrip('/')}/errors/{self.mp_code}"
        return out


@dataclass
class RegisteredClient:
    """A Maskinporten client (integration) as the mock knows it."""

    client_id: str
    org: str  # organisation number of the client owner
    scopes: frozenset[str]
    keys: dict[str, Any] = field(default_factory=dict)  # kid -> RSA public key
    system_id: str = ""  # the Altinn system this client belongs to (system users are made for a system)
    token_lifetime: int | None = None  # None: Maskinporten's default
    accepts_x5c: bool = True


@dataclass(frozen=True)
class SystemUser:
    """An Altinn system user: a customer's approval that a vendor's system may act for it, with rights."""

    id: str
    system_id: str
    customer_org: str
    rights: frozenset[str]  # Altinn resource ids, e.g. ske-informasjon-om-trekkpaalegg
    external_ref: str | None = None  # None: made without one (it then defaults to the customer's number)
    status: str = "approved"  # approved | pending | rejected

    def matches(self, external_ref: str | None) -> bool:
        """Altinn selects a system user by (system, customer, externalRef); no externalRef means the default."""
        return (self.external_ref or self.customer_org) == (external_ref or self.customer_org)


class ClientRegistry(Protocol):
    def get_client(self, client_id: str) -> RegisteredClient | None: ...

    def system_users(self, system_id: str, customer_org: str) -> list[SystemUser]: ...

    def delegated(self, consumer_org: str, supplier_org: str, scope: str) -> bool: ...


@dataclass(frozen=True)
class Consent:
    """An Altinn consent: the party ``from_party`` lets the organisation ``to_org`` read the resource until
    ``valid_to`` (epoch seconds)."""

    id: str
    from_party: str
    to_org: str
    resource: str
    valid_to: float
    consented: float = 0.0

    def valid_at(self, moment: float) -> bool:
        """Not yet expired at ``moment`` (epoch seconds): valid up to, not including, ``valid_to``."""
        return moment < self.valid_to

    def detail(self) -> dict[str, Any]:
        """The ``authorization_details`` entry a token carries for it."""
        def urn(party: str) -> str:
            kind = "organization" if len(party) == 9 else "person"
            return f"urn:altinn:{kind}:identifier-no:{party}"

        def iso(t: float) -> str:
            return datetime.fromtimestamp(t, UTC).isoformat(timespec="seconds")

        return {"type": CONSENT_TYPE, "id": self.id, "from": urn(self.from_party), "to": urn(self.to_org),
                "consented": iso(self.consented), "validTo": iso(self.valid_to),
                "consentRights": [{"resource": [{"type": "urn:altinn:resource", "value": self.resource}]}]}


def consent_party(claims: Mapping[str, Any]) -> tuple[str | None, str | None, float | None]:
    """(consent id, the party who consented, valid until) from an access token's consent details, if any."""
    details = claims.get("authorization_details")
    for detail in details if isinstance(details, list) else []:
        if isinstance(detail, dict) and detail.get("type") == CONSENT_TYPE:
            party = str(detail.get("from") or "").rpartition(":")[2] or None
            try:
                until = datetime.fromisoformat(str(detail.get("validTo"))).timestamp()
            except ValueError:
                until = None
            return str(detail.get("id") or ""), party, until
    return None, None, None


@dataclass(frozen=True)
class VerifiedGrant:
    client: RegisteredClient
    scopes: tuple[str, ...]
    client_amr: str  # "virksomhetssertifikat" (x5c) or "private_key_jwt" (kid)
    systemuser_org: str | None
    claims: Mapping[str, Any]
    header: Mapping[str, Any]
    system_user: SystemUser | None = None
    consumer_org: str | None = None  # API delegation: the customer the supplier (the client) acts for
    consent: Consent | None = None  # an Altinn 3 consent the token carries


# ----------------------------------------------------------------------------------------------- build


@dataclass(frozen=True)
class SigningCredential:
    """Private key plus exactly one of a registered key id or an x5c certificate chain (leaf first)."""

    private_key: rsa.RSAPrivateKey
    kid: str | None = None
    x5c: tuple[x509.Certificate, ...] = ()

    def header(self) -> dict[str, Any]:
        if bool(self.kid) == bool(self.x5c):
            raise ValueError("exactly one of kid and x5c must be set")
        if self.kid:
            return {"kid": self.kid}
        return {"x5c": [base64.b64encode(c.public_bytes(Encoding.DER)).decode("ascii") for c in self.x5c]}


def systemuser_details(org: str, external_ref: str | None = None) -> list[dict[str, Any]]:
    """The one-element ``authorization_details`` of an Altinn systembruker grant (alternativ 2)."""
    detail: dict[str, Any] = {
        "type": SYSTEMUSER_TYPE,
        "systemuser_org": {"authority": ORG_AUTHORITY, "ID": f"0192:{org}"},
    }
    if external_ref:
        detail["externalRef"] = external_ref
    return [detail]


def consent_details(consent_id: str) -> list[dict[str, Any]]:
    """The ``authorization_details`` of a grant asking for a token that carries an Altinn consent."""
    return [{"type": CONSENT_TYPE, "id": consent_id}]


def claimed_systemuser(claims: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """(customer org, externalRef) a grant's ``authorization_details`` ask for, read without judging them."""
    details = claims.get("authorization_details")
    detail = details[0] if isinstance(details, list) and details else details
    if not isinstance(detail, dict):
        return None, None
    org_ref = detail.get("systemuser_org")
    ident = (org_ref.get("ID") or org_ref.get("id")) if isinstance(org_ref, dict) else None
    ref = detail.get("externalRef")
    return (ident.removeprefix("0192:") if isinstance(ident, str) else None), (ref if isinstance(ref, str) else None)


def build_grant(
    credential: SigningCredential,
    *,
    client_id: str,
    issuer: str,
    scopes: Iterable[str],
    systemuser_org: str | None = None,
    external_ref: str | None = None,
    consent_id: str | None = None,
    now: float | None = None,
    lifetime: int = CLIENT_GRANT_LIFETIME,
    algorithm: str = "RS256",
) -> str:
    """A signed grant: ``aud`` = issuer (one string), fresh ``jti``, ``exp - iat`` under the maximum."""
    iat = int(now if now is not None else time.time())
    claims: dict[str, Any] = {
        "aud": issuer,
        "iss": client_id,
        "scope": " ".join(scopes),
        "iat": iat,
        "exp": iat + lifetime,
        "jti": str(uuid.uuid4()),
    }
    if systemuser_org:
        claims["authorization_details"] = systemuser_details(systemuser_org, external_ref)
    elif consent_id:
        claims["authorization_details"] = consent_details(consent_id)
    return jwt.encode(claims, credential.private_key, algorithm=algorithm, headers=credential.header())


# ---------------------------------------------------------------------------------------------- verify


class JtiStore(Protocol):
    def seen(self, jti: str, expires_at: float) -> bool:
        """Record ``jti``; True if it had been seen before."""
        ...


class MemoryJtiStore:
    """Remembers grant ids until they could no longer be valid anyway."""

    def __init__(self) -> None:
        self._seen: dict[str, float] = {}

    def seen(self, jti: str, expires_at: float) -> bool:
        now = time.time()
        if len(self._seen) > 10_000:
            self._seen = {k: v for k, v in self._seen.items() if v > now - CLOCK_SKEW}
        if jti in self._seen:
            return True
        self._seen[jti] = expires_at
        return False


def _fail(error: str, mp: str | None, text: str, rule: str, assumed: bool = False, status: int = 400
          ) -> GrantError:
    return GrantError(error, mp, text, rule, assumed, status)


@dataclass(frozen=True)
class GrantPolicy:
    """How the verifier decides what Digdir does not document (the mock's named assumptions)."""

    max_lifetime: int = MAX_GRANT_LIFETIME
    strict_claims: bool = True
    kid_and_x5c: str = "refuse"  # A-MP-KID-AND-X5C: refuse | use-x5c | use-kid
    iat_past: str = "refuse"  # A-MP-IAT-PAST: refuse (iat within 10 s, as documented) | accept (only exp counts)


def verify_grant(
    assertion: str,
    *,
    issuer: str,
    registry: ClientRegistry,
    jti_store: JtiStore,
    trusted_cas: Iterable[x509.Certificate] = (),
    now: Callable[[], float] = time.time,
    max_lifetime: int = MAX_GRANT_LIFETIME,
    strict_claims: bool = True,
    policy: GrantPolicy | None = None,
) -> VerifiedGrant:
    """Verify a grant the way Maskinporten does, raising :class:`GrantError` with the MP-code.

    Order: syntax, header (alg, kid/x5c), client, key/certificate, signature, audience, timing, replay,
    claims, scope, delegation (``consumer_org``), systembruker. An x5c chain counts only when it leads through CA
    certificates to one of ``trusted_cas``; without any, no certificate is accepted.
    """
    policy = policy or GrantPolicy(max_lifetime=max_lifetime, strict_claims=strict_claims)
    try:
        header = jwt.get_unverified_header(assertion)
        claims = jwt.decode(assertion, options={"verify_signature": False})
    except jwt.PyJWTError as exc:
        raise _fail("invalid_request", "MP-011", "Invalid assertion. Invalid parameter value", "syntax") from exc

    alg = header.get("alg")
    if alg not in ALLOWED_ALGS:
        raise _fail("invalid_grant", "MP-011", f"Invalid assertion. Unsupported JWT algorithm {alg!r}",
                    "alg", assumed=True)
    has_kid, has_x5c = "kid" in header, "x5c" in header
    if has_kid and has_x5c and policy.kid_and_x5c != "refuse":
        has_kid, has_x5c = policy.kid_and_x5c == "use-kid", policy.kid_and_x5c == "use-x5c"
    if has_kid == has_x5c:
        raise _fail("invalid_grant", "MP-011",
                    "Invalid assertion. Either kid or x5c must be present, not both and not neither",
                    "kid_or_x5c", assumed=True)

    client = registry.get_client(str(claims.get("iss", "")))
    if client is None:
        raise _fail("invalid_grant", "MP-100", "Invalid assertion. Client authentication failed. Client not found",
                    "iss")

    if has_kid:
        key = client.keys.get(str(header["kid"]))
        if key is None:
            raise _fail("invalid_grant", None,
                        "Invalid assertion. Client authentication failed. Unknown key identifier (kid) for client.",
                        "kid")
        client_amr = "private_key_jwt"
    else:
        if not client.accepts_x5c:
            raise _fail("invalid_grant", None,
                        "Invalid JWT. The client requires pre-registered jwk and no key identifier (kid) provided",
                        "x5c")
        chain = _parse_x5c(header["x5c"])
        _check_certificate(chain, client, trusted_cas, now())
        key = chain[0].public_key()
        client_amr = "virksomhetssertifikat"

    try:
        jwt.decode(assertion, key, algorithms=[alg], options={"verify_aud": False, "verify_exp": False,
                                                               "verify_iat": False, "verify_nbf": False})
    except jwt.InvalidSignatureError as exc:
        raise _fail("invalid_grant", "MP-124", "Invalid JWT signature", "signature") from exc
    except jwt.PyJWTError as exc:
        raise _fail("invalid_grant", "MP-124", f"Invalid JWT signature ({exc.__class__.__name__})",
                    "signature") from exc

    if not isinstance(claims.get("aud"), str) or claims["aud"] != issuer:
        raise _fail("invalid_grant", "MP-110", "Invalid assertion. Client authentication failed. Invalid JWT claim aud",
                    "aud")

    _check_timing(claims, now(), policy)

    jti = claims.get("jti")
    if jti is not None and (not isinstance(jti, str) or jti_store.seen(jti, float(claims["exp"]))):
        raise _fail("invalid_grant", "MP-012", "Invalid assertion. Grant is used before", "jti")

    unknown = set(claims) - KNOWN_CLAIMS
    if policy.strict_claims and (unknown or ("sub" in claims and claims["sub"] != client.client_id)):
        raise _fail("invalid_request", "MP-011",
                    f"Invalid assertion. Claims not allowed: {sorted(unknown) or ['sub']}", "claims")
    resource = claims.get("resource")
    if resource is not None and not (isinstance(resource, list) and all(isinstance(r, str) for r in resource)):
        raise _fail("invalid_request", "MP-011", "Invalid assertion. resource must be an array of strings",
                    "claims")

    scopes = tuple(str(claims.get("scope") or "").split())
    if not scopes:
        raise _fail("invalid_scope", "MP-200", "Token request contains no scope", "scope", assumed=True)
    consumer_org = _check_delegation(claims, client, scopes, registry)
    missing = [s for s in scopes if s not in client.scopes and consumer_org is None]
    if missing:
        raise _fail("invalid_scope", "MP-200",
                    f"Token request contains invalid scopes for client: {' '.join(missing)}", "scope")

    details = claims.get("authorization_details")
    consent = _check_consent(details, client, registry, now()) if _is_consent(details) else None
    system_user = None if consent is not None else _check_systemuser(details, client, registry)
    if system_user is not None and consumer_org is not None:
        raise _fail("invalid_request", "MP-011", "Invalid assertion. consumer_org cannot be combined with a "
                    "system user", "claims", assumed=True)
    return VerifiedGrant(client, scopes, client_amr, system_user.customer_org if system_user else None, claims,
                         header, system_user, consumer_org, consent)


def _is_consent(details: Any) -> bool:
    first = details[0] if isinstance(details, list) and details else details
    return isinstance(first, dict) and first.get("type") == CONSENT_TYPE


def _check_consent(details: Any, client: RegisteredClient, registry: ClientRegistry, at: float) -> Consent:
    """The consent a grant names must exist, be given to the client's organisation and still be valid
    (the error names are the mock's: assumption A-MP-CONSENT-ERRORS)."""
    detail = details[0] if isinstance(details, list) else details
    if (isinstance(details, list) and len(details) != 1) or set(detail) - CONSENT_FIELDS:
        raise _fail("invalid_request", "MP-302", "Unknown fields in the authorization details", "rar")
    find = getattr(registry, "consent", None)
    consent = find(str(detail.get("id") or "")) if find else None
    if consent is None or consent.to_org != client.org:
        raise _fail("invalid_altinn_consent", None, "No consent with this id was given to the client's "
                    "organisation", "consent", assumed=True)
    if not consent.valid_at(at):
        raise _fail("invalid_altinn_consent", None, "The consent has expired", "consent", assumed=True)
    return consent


def _parse_x5c(value: Any) -> list[x509.Certificate]:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise _fail("invalid_grant", "MP-123", "Invalid JWT header x5c", "x5c")
    try:
        return [x509.load_der_x509_certificate(base64.b64decode(v, validate=True)) for v in value]
    except ValueError as exc:
        raise _fail("invalid_grant", "MP-123", "Invalid JWT header x5c", "x5c") from exc


def _check_certificate(chain: list[x509.Certificate], client: RegisteredClient,
                       trusted_cas: Iterable[x509.Certificate], now: float) -> None:
    """The chain must lead from the signing certificate through CA certificates to a trusted root, every
    certificate valid now; the organisation comes from that verified leaf."""
    moment = datetime.fromtimestamp(now, UTC)
    invalid = _fail("invalid_grant", "MP-120", "Invalid assertion. The JWT is signed with an invalid certificate.",
                    "certificate")
    if not all(c.not_valid_before_utc <= moment <= c.not_valid_after_utc for c in chain):
        raise invalid
    if not _chains_to(chain, list(trusted_cas)):
        raise invalid
    if orgnr_from_certificate(chain[0]) != client.org:
        raise _fail("invalid_grant", "MP-122",
                    "Invalid JWT. Invalid organization number for client. Does not match certificate orgno",
                    "certificate_org")


def is_ca(cert: x509.Certificate) -> bool:
    """A certificate that may issue others: basicConstraints CA:TRUE and, if it states a key usage, keyCertSign."""
    try:
        if not cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca:
            return False
    except x509.ExtensionNotFound:
        return False
    try:
        return bool(cert.extensions.get_extension_for_class(x509.KeyUsage).value.key_cert_sign)
    except x509.ExtensionNotFound:
        return True


def _signed_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    """``cert`` carries a valid signature of ``issuer``, and ``issuer`` is a CA."""
    if cert.issuer != issuer.subject or not is_ca(issuer):
        return False
    public_key = issuer.public_key()
    if not isinstance(public_key, rsa.RSAPublicKey) or cert.signature_hash_algorithm is None:
        return False
    try:
        public_key.verify(cert.signature, cert.tbs_certificate_bytes, padding.PKCS1v15(),
                          cert.signature_hash_algorithm)
    except InvalidSignature:
        return False
    return True


def _chains_to(chain: list[x509.Certificate], anchors: list[x509.Certificate]) -> bool:
    """Leaf first; each certificate signed by the next, a CA; the last one signed by (or itself) a trusted CA."""
    if not anchors:
        return False
    for cert, parent in itertools.pairwise(chain):
        if not _signed_by(cert, parent):
            return False
    top = chain[-1]
    return any((top == a and is_ca(a) and len(chain) > 1) or _signed_by(top, a) for a in anchors)


def _number(value: Any) -> bool:
    """A JSON number that is a usable time: int or finite float, not true/false."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _check_timing(claims: Mapping[str, Any], now: float, policy: GrantPolicy) -> None:
    iat, exp = claims.get("iat"), claims.get("exp")
    if not _number(iat) or not _number(exp):
        raise _fail("invalid_request", "MP-011", "Invalid assertion. Invalid parameter value (iat/exp)", "timing")
    if exp < iat:
        raise _fail("invalid_request", "MP-011", "Invalid assertion. exp is before iat", "timing", assumed=True)
    if exp - iat > policy.max_lifetime:
        raise _fail("invalid_grant", None, "Invalid assertion. JWT has too long lifetime", "lifetime")
    if iat > now + CLOCK_SKEW:
        raise _fail("invalid_grant", None, "Invalid assertion. Issue time is in the future", "iat_future")
    if exp < now - CLOCK_SKEW or (iat < now - CLOCK_SKEW and policy.iat_past == "refuse"):
        raise _fail("invalid_grant", "MP-130", "Invalid assertion. JWT is expired", "expired")


def _check_delegation(claims: Mapping[str, Any], client: RegisteredClient, scopes: tuple[str, ...],
                      registry: ClientRegistry) -> str | None:
    """``consumer_org``: the supplier (this client) acts for a customer who delegated every scope in Altinn."""
    consumer = claims.get("consumer_org")
    if consumer is None:
        return None
    if not isinstance(consumer, str) or not consumer.isdigit() or len(consumer) != 9:
        raise _fail("invalid_request", "MP-011", "Invalid assertion. consumer_org must be a 9-digit organisation "
                    "number", "delegation")
    if "iss_onbehalfof" in claims:
        raise _fail("invalid_request", "MP-011", "Invalid assertion. consumer_org and iss_onbehalfof cannot be "
                    "combined", "delegation")
    if consumer == client.org:
        raise _fail("invalid_request", None, "Validation of JWT claim failed: The combination consumer_org in claim "
                    "and delegation scope on client is invalid", "delegation")
    for scope in scopes:
        if not registry.delegated(consumer, client.org, scope):
            raise _fail("forbidden", "MP-251", f"Consumer {consumer} has not delegated access to the scope "
                        f"{scope} to supplier {client.org}", "delegation", status=403)
    return consumer


def _check_systemuser(details: Any, client: RegisteredClient, registry: ClientRegistry) -> SystemUser | None:
    if details is None:
        return None
    if isinstance(details, dict):
        details = [details]
    if not isinstance(details, list) or len(details) != 1 or not isinstance(details[0], dict):
        raise _fail("invalid_request", "MP-302", "Unknown fields in the authorization details", "rar")
    detail = details[0]
    if detail.get("type") != SYSTEMUSER_TYPE:
        raise _fail("invalid_request", "MP-301", "Unknown authorization details type", "rar")
    if set(detail) - SYSTEMUSER_FIELDS:
        raise _fail("invalid_request", "MP-302", "Unknown fields in the authorization details", "rar")
    org_ref = detail.get("systemuser_org")
    ident = org_ref.get("ID") or org_ref.get("id") if isinstance(org_ref, dict) else None
    if not isinstance(ident, str) or not ident.startswith("0192:") or org_ref.get("authority") != ORG_AUTHORITY:
        raise _fail("invalid_request", "MP-303", "Invalid authorization details values", "rar")
    external_ref = detail.get("externalRef")
    if external_ref is not None and not isinstance(external_ref, str):
        raise _fail("invalid_request", "MP-303", "Invalid authorization details values", "rar")
    org = ident.removeprefix("0192:")
    found = [u for u in registry.system_users(client.system_id, org) if u.matches(external_ref)]
    approved = [u for u in found if u.status == "approved"]
    if not approved:
        state = f" (its status is {found[0].status}: not approved)" if found else ""
        ref = f" and externalRef {external_ref!r}" if external_ref else ""
        raise _fail("invalid_altinn_customer_configuration", "MP-303",
                    f"No approved system user for organisation {org}{ref} on this client's system{state}",
                    "systemuser")
    return approved[0]


def decode_unverified(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(header, claims) of a JWT without verifying it: for display and judging, never for trust."""
    header = jwt.get_unverified_header(token)
    payload = token.split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return header, claims
