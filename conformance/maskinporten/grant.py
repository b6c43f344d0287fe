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
ORG_AUTHORITY = "iso6523-actorid-upis"
KNOWN_CLAIMS = frozenset(
    {"aud", "iss", "iat", "exp", "jti", "scope", "resource", "pid", "consumer_org", "iss_onbehalfof",
     "authorization_details", "sub", "nbf"}
)
SYSTEMUSER_FIELDS = frozenset({"type", "systemuser_org", "externalRef"})


class GrantError(Exception):
    """A rejected grant, as Maskinporten answers it: ``error``, ``error_description`` and an MP-code."""

    def __init__(self, error: str, mp_code: str | None, description: str, rule: str,
                 assumed: bool = False) -> None:
        super().__init__(f"{error} ({mp_code or 'no MP-code'}): {description}")
        self.error = error
        self.mp_code = mp_code
        self.description = description
        self.rule = rule  # short rule name, e.g. "aud", "jti", used by the client judge
        self.assumed = assumed  # True when Digdir documents no code for this case

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
    systemuser_orgs: dict[str, str] = field(default_factory=dict)  # customer org -> systemuser id
    system_id: str = ""
    token_lifetime: int = 120
    accepts_x5c: bool = True


class ClientRegistry(Protocol):
    def get_client(self, client_id: str) -> RegisteredClient | None: ...


@dataclass(frozen=True)
class VerifiedGrant:
    client: RegisteredClient
    scopes: tuple[str, ...]
    client_amr: str  # "virksomhetssertifikat" (x5c) or "private_key_jwt" (kid)
    systemuser_org: str | None
    claims: Mapping[str, Any]
    header: Mapping[str, Any]


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


def build_grant(
    credential: SigningCredential,
    *,
    client_id: str,
    issuer: str,
    scopes: Iterable[str],
    systemuser_org: str | None = None,
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
        claims["authorization_details"] = systemuser_details(systemuser_org)
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


def _fail(error: str, mp: str | None, text: str, rule: str, assumed: bool = False) -> GrantError:
    return GrantError(error, mp, text, rule, assumed)


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
) -> VerifiedGrant:
    """Verify a grant the way Maskinporten does, raising :class:`GrantError` with the MP-code.

    Order: syntax, header (alg, kid/x5c), client, key/certificate, signature, audience, timing, replay,
    claims, scope, systembruker. ``trusted_cas`` empty means any certificate chain is accepted (orgnr and
    validity are still checked).
    """
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

    _check_timing(claims, now(), max_lifetime)

    jti = claims.get("jti")
    if jti is not None and (not isinstance(jti, str) or jti_store.seen(jti, float(claims["exp"]))):
        raise _fail("invalid_grant", "MP-012", "Invalid assertion. Grant is used before", "jti")

    unknown = set(claims) - KNOWN_CLAIMS
    if strict_claims and (unknown or ("sub" in claims and claims["sub"] != client.client_id)):
        raise _fail("invalid_request", "MP-011",
                    f"Invalid assertion. Claims not allowed: {sorted(unknown) or ['sub']}", "claims")

    scopes = tuple(str(claims.get("scope") or "").split())
    if not scopes:
        raise _fail("invalid_scope", "MP-200", "Token request contains no scope", "scope", assumed=True)
    missing = [s for s in scopes if s not in client.scopes]
    if missing:
        raise _fail("invalid_scope", "MP-200",
                    f"Token request contains invalid scopes for client: {' '.join(missing)}", "scope")

    systemuser_org = _check_systemuser(claims.get("authorization_details"), client)
    return VerifiedGrant(client, scopes, client_amr, systemuser_org, claims, header)


def _parse_x5c(value: Any) -> list[x509.Certificate]:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise _fail("invalid_grant", "MP-123", "Invalid JWT header x5c", "x5c")
    try:
        return [x509.load_der_x509_certificate(base64.b64decode(v, validate=True)) for v in value]
    except ValueError as exc:
        raise _fail("invalid_grant", "MP-123", "Invalid JWT header x5c", "x5c") from exc


def _check_certificate(chain: list[x509.Certificate], client: RegisteredClient,
                       trusted_cas: Iterable[x509.Certificate], now: float) -> None:
    leaf = chain[0]
    moment = datetime.fromtimestamp(now, UTC)
    if not (leaf.not_valid_before_utc <= moment <= leaf.not_valid_after_utc):
        raise _fail("invalid_grant", "MP-120", "Invalid assertion. The JWT is signed with an invalid certificate.",
                    "certificate")
    anchors = list(trusted_cas)
    if anchors and not _chains_to(chain, anchors):
        raise _fail("invalid_grant", "MP-120", "Invalid assertion. The JWT is signed with an invalid certificate.",
                    "certificate")
    if orgnr_from_certificate(leaf) != client.org:
        raise _fail("invalid_grant", "MP-122",
                    "Invalid JWT. Invalid organization number for client. Does not match certificate orgno",
                    "certificate_org")


def _signed_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    if cert.issuer != issuer.subject:
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
    """Leaf first; each certificate signed by the next; the last one signed by (or equal to) an anchor."""
    for cert, parent in itertools.pairwise(chain):
        if not _signed_by(cert, parent):
            return False
    top = chain[-1]
    return any(top == a or _signed_by(top, a) for a in anchors)


def _check_timing(claims: Mapping[str, Any], now: float, max_lifetime: int) -> None:
    iat, exp = claims.get("iat"), claims.get("exp")
    if not isinstance(iat, int | float) or not isinstance(exp, int | float):
        raise _fail("invalid_request", "MP-011", "Invalid assertion. Invalid parameter value (iat/exp)", "timing")
    if exp - iat > max_lifetime:
        raise _fail("invalid_grant", None, "Invalid assertion. JWT has too long lifetime", "lifetime")
    if iat > now + CLOCK_SKEW:
        raise _fail("invalid_grant", None, "Invalid assertion. Issue time is in the future", "iat_future")
    if exp < now - CLOCK_SKEW or iat < now - CLOCK_SKEW:
        raise _fail("invalid_grant", "MP-130", "Invalid assertion. JWT is expired", "expired")


def _check_systemuser(details: Any, client: RegisteredClient) -> str | None:
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
    org = ident.removeprefix("0192:")
    if org not in client.systemuser_orgs:
        raise _fail("invalid_altinn_customer_configuration", "MP-303",
                    f"No approved system user for organisation {org} on this client", "systemuser")
    return org


def decode_unverified(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(header, claims) of a JWT without verifying it: for display and judging, never for trust."""
    header = jwt.get_unverified_header(token)
    payload = token.split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return header, claims
