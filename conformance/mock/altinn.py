"""Altinn's consent tokens (the Altinn 2 model) on the mock: the ``AltinnSamtykke`` header.

A consumer with an approved consent (its authorization code: here the consent's id) fetches a short-lived JWT signed
by Altinn and sends it with each call in the ``AltinnSamtykke`` header (Skatteetaten's samtykke page: valid about
30 s, fetched again as often as needed). The consents themselves are data in the mock's Maskinporten
(:meth:`~conformance.mock.maskinporten.MockMaskinporten.add_consent`), shared with the Altinn 3 model where the
consent travels inside the Maskinporten token.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from conformance.maskinporten.certs import new_rsa_key
from conformance.maskinporten.grant import Consent

TOKEN_PATH = "/altinn/api/authorization/token"  # ?AuthCode=<the consent's authorization code>
JWK_PATH = "/altinn/api/authorization/jwk"


class ConsentTokenError(Exception):
    """An ``AltinnSamtykke`` token that is missing, forged, expired or for someone else."""


@dataclass
class AltinnConsentTokens:
    """Signs and verifies consent tokens with the mock's "Altinn" key (not Maskinporten's)."""

    lifetime: int = 30
    expired_first: bool = False  # a client-check scenario: the first token of each consent is already expired
    issued: Counter[str] = field(default_factory=Counter)  # consent id -> tokens handed out
    _key: rsa.RSAPrivateKey | None = field(default=None, repr=False)
    _key_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def key(self) -> rsa.RSAPrivateKey:
        """Altinn's signing key, made on first use: a run whose APIs take no Altinn 2 consent never pays for it."""
        with self._key_lock:
            if self._key is None:
                self._key = new_rsa_key()
            return self._key

    def issue(self, consent: Consent, issuer: str, now: float | None = None) -> str:
        iat = int(now if now is not None else time.time())
        self.issued[consent.id] += 1
        if self.expired_first and self.issued[consent.id] == 1:
            iat -= self.lifetime + 60
        claims = {"iss": issuer.rstrip("/") + "/altinn", "iat": iat, "exp": iat + self.lifetime,
                  "OfferedBy": consent.from_party, "CoveredBy": consent.to_org, "AuthorizationCode": consent.id,
                  "ServiceCode": "5928", "ServiceEditionCode": "202301"}
        return jwt.encode(claims, self.key, algorithm="RS256", headers={"kid": "altinn-mock"})

    def verify(self, token: str) -> dict[str, Any]:
        """The token's claims when Altinn's key signed it and it has not expired, else :class:`ConsentTokenError`."""
        try:
            return jwt.decode(token, self.key.public_key(), algorithms=["RS256"],
                              options={"require": ["exp", "iat"]})
        except jwt.PyJWTError as exc:
            raise ConsentTokenError(str(exc)) from exc
