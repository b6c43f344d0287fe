"""The mock's Maskinporten: client registry, token issuing, and access-token verification.

Grants are verified by :func:`conformance.maskinporten.grant.verify_grant`, the same rules the client
builds by. Tokens are RS256 JWTs signed with the mock's own key, published at ``/jwk``.
"""

from __future__ import annotations

import base64
import hashlib
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import jwt
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa

from conformance.maskinporten.certs import new_rsa_key
from conformance.maskinporten.grant import (
    DELEGATION_SOURCE,
    MAX_GRANT_LIFETIME,
    ORG_AUTHORITY,
    Consent,
    GrantPolicy,
    MemoryJtiStore,
    RegisteredClient,
    SystemUser,
    VerifiedGrant,
    verify_grant,
)
from conformance.mock.altinn import AltinnConsentTokens


def _b64u(n: int) -> str:
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def public_jwk(key: rsa.RSAPublicKey, kid: str) -> dict[str, str]:
    numbers = key.public_numbers()
    return {"kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid, "n": _b64u(numbers.n), "e": _b64u(numbers.e)}


class AccessTokenError(Exception):
    """Why an access token was not accepted (for 401 answers)."""


@dataclass
class MockMaskinporten:
    issuer: str = "http://127.0.0.1/"
    token_lifetime: int = 120
    max_grant_lifetime: int = MAX_GRANT_LIFETIME
    strict_claims: bool = True
    clients: dict[str, RegisteredClient] = field(default_factory=dict)
    trusted_cas: list[x509.Certificate] = field(default_factory=list)
    # Altinn as data: system users (a customer's approval of a vendor's system, with rights) and API delegations
    # (consumer, supplier, scope).
    systemusers: list[SystemUser] = field(default_factory=list)
    delegations: set[tuple[str, str, str]] = field(default_factory=set)
    consents: dict[str, Consent] = field(default_factory=dict)  # Altinn consents by id
    samtykke: AltinnConsentTokens = field(default_factory=AltinnConsentTokens)  # the AltinnSamtykke header's
    assumptions: dict[str, str] = field(default_factory=dict)  # the mock's named assumptions (A-MP-*)
    key: rsa.RSAPrivateKey = field(default_factory=new_rsa_key)
    jti_store: MemoryJtiStore = field(default_factory=MemoryJtiStore)
    tokens_issued: int = 0
    _verified: dict[str, dict[str, Any]] = field(default_factory=dict, repr=False)  # token -> claims

    @property
    def kid(self) -> str:
        der = self.key.public_key().public_numbers().n.to_bytes(256, "big")
        return "mock-" + hashlib.sha256(der).hexdigest()[:16]

    # -- registry ----------------------------------------------------------------------------------
    def register_client(self, client: RegisteredClient) -> RegisteredClient:
        self.clients[client.client_id] = client
        return client

    def get_client(self, client_id: str) -> RegisteredClient | None:
        return self.clients.get(client_id)

    def add_systemuser(self, system_id: str, customer_org: str, rights: frozenset[str], *,
                       external_ref: str | None = None, status: str = "approved") -> SystemUser:
        user = SystemUser(str(uuid.uuid4()), system_id, customer_org, rights, external_ref, status)
        self.systemusers.append(user)
        return user

    def system_users(self, system_id: str, customer_org: str) -> list[SystemUser]:
        return [u for u in self.systemusers if u.system_id == system_id and u.customer_org == customer_org]

    def systemuser(self, systemuser_id: str) -> SystemUser | None:
        return next((u for u in self.systemusers if u.id == systemuser_id), None)

    def add_consent(self, from_party: str, to_org: str, resource: str, *, valid_for: float = 90 * 86400,
                    consent_id: str | None = None) -> Consent:
        """Register a consent (Altinn 3): ``from_party`` lets ``to_org`` read ``resource``."""
        now = time.time()
        consent = Consent(consent_id or str(uuid.uuid4()), from_party, to_org, resource, now + valid_for, now)
        self.consents[consent.id] = consent
        return consent

    def consent(self, consent_id: str) -> Consent | None:
        return self.consents.get(consent_id)

    def delegate(self, consumer_org: str, supplier_org: str, scope: str) -> None:
        self.delegations.add((consumer_org, supplier_org, scope))

    def delegated(self, consumer_org: str, supplier_org: str, scope: str) -> bool:
        return (consumer_org, supplier_org, scope) in self.delegations

    # -- endpoints' logic --------------------------------------------------------------------------
    def metadata(self, origin: str) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "token_endpoint": f"{origin}/token",
            "jwks_uri": f"{origin}/jwk",
            "token_endpoint_auth_methods_supported": ["private_key_jwt"],
            "grant_types_supported": ["urn:ietf:params:oauth:grant-type:jwt-bearer"],
            "token_endpoint_auth_signing_alg_values_supported": ["RS256", "RS384", "RS512"],
            "authorization_details_types_supported": ["urn:altinn:systemuser", "urn:altinn:consent"],
        }

    def jwks(self, key: rsa.RSAPrivateKey | None = None) -> dict[str, Any]:
        key = key or self.key
        return {"keys": [public_jwk(key.public_key(), self.kid)]}

    @property
    def policy(self) -> GrantPolicy:
        return GrantPolicy(max_lifetime=self.max_grant_lifetime, strict_claims=self.strict_claims,
                           kid_and_x5c=self.assumptions.get("A-MP-KID-AND-X5C", "refuse"),
                           iat_past=self.assumptions.get("A-MP-IAT-PAST", "refuse"))

    def verify(self, assertion: str) -> VerifiedGrant:
        return verify_grant(assertion, issuer=self.issuer, registry=self, jti_store=self.jti_store,
                            trusted_cas=self.trusted_cas, policy=self.policy)

    def issue(self, grant: VerifiedGrant) -> dict[str, Any]:
        """Token response (RFC 6749 shape) for a verified grant."""
        client = grant.client
        lifetime = client.token_lifetime or self.token_lifetime  # a client's own lifetime, else Maskinporten's
        extra: dict[str, Any] = {}
        org = client.org
        if grant.system_user is not None:
            user = grant.system_user
            detail: dict[str, Any] = {
                "type": "urn:altinn:systemuser",
                "systemuser_org": {"authority": ORG_AUTHORITY, "ID": f"0192:{user.customer_org}"},
                "systemuser_id": [user.id],
                "system_id": user.system_id,
            }
            if user.external_ref:
                detail["externalRef"] = user.external_ref
            extra["authorization_details"] = [detail]
        if grant.consent is not None:
            extra["authorization_details"] = [grant.consent.detail()]
        if grant.consumer_org is not None:  # API delegation: the customer is the consumer, the vendor the supplier
            org = grant.consumer_org
            extra["supplier"] = {"authority": ORG_AUTHORITY, "ID": f"0192:{client.org}"}
            extra["delegation_source"] = DELEGATION_SOURCE
        token = self.mint(client_id=client.client_id, org=org, scope=" ".join(grant.scopes),
                          client_amr=grant.client_amr, lifetime=lifetime, **extra)
        self.tokens_issued += 1
        return {"access_token": token, "token_type": "Bearer", "expires_in": lifetime, "scope": " ".join(grant.scopes)}

    def mint(self, *, client_id: str, org: str, scope: str, client_amr: str = "private_key_jwt",
             lifetime: int = 120, now: float | None = None, key: rsa.RSAPrivateKey | None = None,
             **extra: Any) -> str:
        """Sign an access token (also used to make expired or foreign-signed tokens for negative checks)."""
        iat = int(now if now is not None else time.time())
        claims = {
            "iss": self.issuer, "client_id": client_id, "client_amr": client_amr,
            "consumer": {"authority": ORG_AUTHORITY, "ID": f"0192:{org}"},
            "scope": scope, "token_type": "Bearer", "iat": iat, "exp": iat + lifetime,
            "jti": base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode(), **extra,
        }
        return jwt.encode(claims, key or self.key, algorithm="RS256", headers={"kid": self.kid})

    def verify_access_token(self, token: str, *, check_signature: bool = True, check_expiry: bool = True
                            ) -> dict[str, Any]:
        strict = check_signature and check_expiry
        cached = self._verified.get(token) if strict else None
        if cached is not None:  # signature verified before; expiry is checked on every call
            if cached["exp"] <= time.time():
                raise AccessTokenError("ExpiredSignatureError: Signature has expired")
            return cached
        claims = self._decode(token, check_signature, check_expiry)
        if strict:
            if len(self._verified) > 10_000:
                self._verified.clear()
            self._verified[token] = claims
        return claims

    def _decode(self, token: str, check_signature: bool, check_expiry: bool) -> dict[str, Any]:
        try:
            return jwt.decode(token, self.key.public_key(), algorithms=["RS256"], issuer=self.issuer,
                              options={"verify_signature": check_signature, "verify_exp": check_expiry,
                                       "verify_aud": False, "require": ["exp", "iss", "scope"]})
        except jwt.PyJWTError as exc:
            raise AccessTokenError(f"{type(exc).__name__}: {exc}") from exc

