"""MaskinportenClient: builds and signs the JWT-bearer grant, posts it, caches the token."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass

import httpx

from conformance.errors import ConfigError, TargetEnvironmentError
from conformance.evidence import Evidence
from conformance.http import RetryPolicy, send, tls_context
from conformance.maskinporten.grant import GRANT_TYPE, SigningCredential, build_grant

#: What each Maskinporten code means for the user and what to do about it.
MP_HINTS: dict[str, str] = {
    "MP-011": "the grant is malformed: check alg (RS256/384/512), exactly one of kid/x5c, iat/exp as numbers",
    "MP-012": "the grant's jti was used before: send a fresh UUID per token request",
    "MP-100": "client not found: check --client-id, and that the client exists in this environment (test vs prod)",
    "MP-110": "wrong aud: it must be exactly the issuer, e.g. https://test.maskinporten.no/ (with the slash)",
    "MP-120": "certificate not accepted: expired, or a production certificate used in test (or vice versa)",
    "MP-121": "the registered key has expired (keys live one year): upload it again to renew",
    "MP-122": "the certificate's organisation number is not the client owner's",
    "MP-123": "the x5c header must be a JSON array of base64 DER certificates, signing certificate first",
    "MP-124": "signature invalid: the private key does not belong to the certificate or kid",
    "MP-130": "the grant is expired: check the computer's clock (Maskinporten allows 10 s of skew)",
    "MP-200": "the client lacks the scope: ask Skatteetaten for skatteetaten:trekkpaalegg, add it to the client",
    "MP-201": "this scope is not allowed for this kind of integration",
    "MP-250": "the organisation has not been granted access to the scope",
    "MP-251": "the customer has not delegated the scope to you in Altinn",
    "MP-301": "authorization_details has an unknown type: use urn:altinn:systemuser",
    "MP-302": "authorization_details has unknown fields",
    "MP-303": "no approved system user for that organisation: check --org, the system user request and externalRef",
}
_MP_CODE = re.compile(r"MP-[0-9]{3}")


class MaskinportenError(ConfigError):
    """Maskinporten refused the grant; keeps ``error``, ``error_description`` and the MP-code."""

    def __init__(self, status: int, error: str, description: str, mp_code: str | None) -> None:
        self.status = status
        self.error = error
        self.description = description
        self.mp_code = mp_code
        hint = MP_HINTS.get(mp_code or "", "")
        if not hint and "kid" in description.lower():
            hint = "the kid is not registered on this client: check --kid"
        if not hint and error == "invalid_altinn_customer_configuration":
            hint = MP_HINTS["MP-303"]
        cause = f"Maskinporten refused the token request: {error}{f' {mp_code}' if mp_code else ''}: {description}"
        super().__init__(cause, hint or "see https://docs.digdir.no/docs/Maskinporten/maskinporten_feilsoking")


@dataclass(frozen=True)
class Token:
    access_token: str
    token_type: str
    expires_in: int
    scope: str
    obtained_at: float
    response: dict[str, object]

    @property
    def expires_at(self) -> float:
        return self.obtained_at + self.expires_in


class MaskinportenClient:
    """Token client for one Maskinporten client (integration) and one set of scopes.

    Tokens are cached until ``refresh_margin`` seconds before expiry (a few seconds, not minutes:
    tokens live about 120 s). Every grant gets a fresh ``jti``. Secrets are registered with the
    evidence redactor before they can reach any record.
    """

    def __init__(self, credential: SigningCredential, *, client_id: str, issuer: str, token_url: str,
                 scopes: Iterable[str], systemuser_org: str | None = None, evidence: Evidence | None = None,
                 http: httpx.Client | None = None, retry: RetryPolicy | None = None,
                 refresh_margin: float = 10.0, timeout: float = 30.0, verify: bool | str = True) -> None:
        self.credential = credential
        self.client_id = client_id
        self.issuer = issuer
        self.token_url = token_url
        self.scopes = tuple(scopes)
        self.systemuser_org = systemuser_org
        self.evidence = evidence
        self.retry = retry or RetryPolicy()
        self.refresh_margin = refresh_margin
        self._http = http or httpx.Client(timeout=timeout, verify=tls_context(verify),
                                          event_hooks=evidence.event_hooks("token") if evidence else None)
        self._token: Token | None = None
        self._lock = threading.Lock()
        self.grants_sent = 0

    def with_options(self, *, scopes: Iterable[str] | None = None, systemuser_org: str | None = None
                     ) -> MaskinportenClient:
        """Another client with the same credential, e.g. for another scope or a system user."""
        return MaskinportenClient(self.credential, client_id=self.client_id, issuer=self.issuer,
                                  token_url=self.token_url, scopes=scopes or self.scopes,
                                  systemuser_org=systemuser_org, evidence=self.evidence, http=self._http,
                                  retry=self.retry, refresh_margin=self.refresh_margin)

    def build_grant(self, now: float | None = None) -> str:
        grant = build_grant(self.credential, client_id=self.client_id, issuer=self.issuer, scopes=self.scopes,
                            systemuser_org=self.systemuser_org, now=now)
        if self.evidence:
            self.evidence.redactor.register(grant, "assertion")
        return grant

    def token(self, force: bool = False) -> Token:
        with self._lock:
            # Refresh a few seconds before expiry, but never more than a quarter of a short token's lifetime early.
            margin = min(self.refresh_margin, self._token.expires_in / 4) if self._token else 0
            if force or self._token is None or time.time() >= self._token.expires_at - margin:
                self._token = self._request_token()
            return self._token

    def access_token(self, force: bool = False) -> str:
        return self.token(force).access_token

    def invalidate(self) -> None:
        with self._lock:
            self._token = None

    def _request_token(self) -> Token:
        grant = self.build_grant()
        self.grants_sent += 1
        request = self._http.build_request(
            "POST", self.token_url, data={"grant_type": GRANT_TYPE, "assertion": grant},
            headers={"Accept": "application/json"})
        response = send(self._http, request, self.evidence, self.retry)
        if response.status_code >= 500:
            raise TargetEnvironmentError(
                f"token endpoint {self.token_url} answered HTTP {response.status_code}",
                "Maskinporten is having problems; try again later")
        try:
            body = response.json()
        except ValueError as exc:
            raise TargetEnvironmentError(
                f"token endpoint {self.token_url} answered HTTP {response.status_code} with a non-JSON body",
                "check --token-url: it must be the Maskinporten /token URL") from exc
        if response.status_code != 200 or "access_token" not in body:
            description = str(body.get("error_description", ""))
            found = _MP_CODE.search(f"{body.get('error_uri', '')} {description}")
            raise MaskinportenError(response.status_code, str(body.get("error", "unknown_error")), description,
                                    found.group(0) if found else None)
        if self.evidence:
            self.evidence.redactor.register(body["access_token"], "access_token")
        return Token(access_token=body["access_token"], token_type=str(body.get("token_type", "")),
                     expires_in=int(body.get("expires_in", 0)), scope=str(body.get("scope", "")),
                     obtained_at=time.time(), response=body)

    def close(self) -> None:
        self._http.close()
