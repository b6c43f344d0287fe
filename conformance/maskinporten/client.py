"""MaskinportenClient: builds and signs the JWT-bearer grant, posts it, caches the token."""

from __future__ import annotations

import math
import re
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from conformance.errors import ConfigError, TargetEnvironmentError, TokenResponseError
from conformance.evidence import Evidence
from conformance.http import CallLimits, RetryPolicy, bounded_client, send
from conformance.maskinporten.grant import GRANT_TYPE, SigningCredential, build_grant
from conformance.messages import Message

#: What each Maskinporten code means for the user and what to do about it: the message id of its hint
#: (texts in conformance/messages.yaml, in both languages).
MP_HINTS: dict[str, str] = {code: f"mp.hint.{code.lower().replace('-', '_')}" for code in (
    "MP-011", "MP-012", "MP-100", "MP-110", "MP-120", "MP-121", "MP-122", "MP-123", "MP-124", "MP-130", "MP-200",
    "MP-201", "MP-250", "MP-251", "MP-301", "MP-302", "MP-303")}
_MP_CODE = re.compile(r"MP-[0-9]{3}")


class MaskinportenError(ConfigError):
    """Maskinporten refused the grant; keeps ``error``, ``error_description`` and the MP-code."""

    def __init__(self, status: int, error: str, description: str, mp_code: str | None) -> None:
        self.status = status
        self.error = error
        self.description = description
        self.mp_code = mp_code
        hint_id = MP_HINTS.get(mp_code or "")
        if hint_id is None and "kid" in description.lower():
            hint_id = "mp.hint.kid"
        if hint_id is None and error == "invalid_altinn_customer_configuration":
            hint_id = MP_HINTS["MP-303"]
        hint = Message(hint_id or "mp.hint.other")
        code = f" {mp_code}" if mp_code else ""
        cause = f"Maskinporten refused the token request: {error}{code}: {description}"
        super().__init__(cause, hint.render("en"), Message("mp.refused", {"error": f"{error}{code}",
                                                                          "description": description}))
        self.hint_message = hint


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
                 scopes: Iterable[str], systemuser_org: str | None = None, external_ref: str | None = None,
                 consent_id: str | None = None, evidence: Evidence | None = None,
                 http: httpx.Client | None = None, retry: RetryPolicy | None = None,
                 refresh_margin: float = 10.0, timeout: float = 30.0, verify: bool | str = True,
                 limits: CallLimits | None = None) -> None:
        self.credential = credential
        self.client_id = client_id
        self.issuer = issuer
        self.token_url = token_url
        self.scopes = tuple(scopes)
        self.systemuser_org = systemuser_org
        self.external_ref = external_ref  # selects among several system users of one customer
        self.consent_id = consent_id  # an Altinn 3 consent the token should carry (authorization_details)
        self.evidence = evidence
        self.retry = retry or RetryPolicy()
        self.refresh_margin = refresh_margin
        self.limits = limits or CallLimits(timeout=timeout)
        self._http = http or bounded_client(timeout=timeout, verify=verify)
        self._token: Token | None = None
        self._lock = threading.Lock()
        self.grants_sent = 0

    def with_options(self, *, scopes: Iterable[str] | None = None, systemuser_org: str | None = None,
                     external_ref: str | None = None, consent_id: str | None = None) -> MaskinportenClient:
        """Another client with the same credential, e.g. for another scope or a system user."""
        return MaskinportenClient(self.credential, client_id=self.client_id, issuer=self.issuer,
                                  token_url=self.token_url, scopes=scopes or self.scopes,
                                  systemuser_org=systemuser_org, external_ref=external_ref,
                                  consent_id=consent_id, evidence=self.evidence, http=self._http,
                                  retry=self.retry, refresh_margin=self.refresh_margin, limits=self.limits)

    def build_grant(self, now: float | None = None) -> str:
        grant = build_grant(self.credential, client_id=self.client_id, issuer=self.issuer, scopes=self.scopes,
                            systemuser_org=self.systemuser_org, external_ref=self.external_ref,
                            consent_id=self.consent_id, now=now)
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
        response = send(self._http, request, self.evidence, self.retry, self.limits, kind="token")
        where = f"token endpoint {self.token_url} answered HTTP {response.status_code}"
        if response.status_code >= 500:
            raise TargetEnvironmentError(where, "Maskinporten is having problems; try again later")
        try:
            body = response.json()
        except ValueError as exc:
            raise TargetEnvironmentError(f"{where} with a body that is not JSON",
                                         "check --token-url: it must be the Maskinporten /token URL") from exc
        if response.status_code != 200:
            if not isinstance(body, dict) or not isinstance(body.get("error"), str):
                raise TargetEnvironmentError(f"{where} with a body that is not an OAuth error "
                                             f"(JSON {_kind(body)})", "check --token-url")
            description = str(body.get("error_description", ""))
            found = _MP_CODE.search(f"{body.get('error_uri', '')} {description}")
            raise MaskinportenError(response.status_code, body["error"], description,
                                    found.group(0) if found else None)
        token = token_from_response(body, self.token_url)
        if self.evidence:
            self.evidence.redactor.register(token.access_token, "access_token")
        return token

    def close(self) -> None:
        self._http.close()


#: Lifetime assumed for caching when a token answer gives no usable ``expires_in`` (TP-AUTH-01 reports it).
FALLBACK_LIFETIME = 60
MAX_LIFETIME = 24 * 3600  # no token is cached longer, whatever expires_in says


def _kind(value: Any) -> str:
    return {dict: "object", list: "array", str: "string", bool: "true/false", type(None): "null"}.get(
        type(value), "number")


def lifetime_of(value: Any) -> int | None:
    """``expires_in`` as whole seconds when it is a positive, finite number (bool and text are not), else None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if not math.isfinite(value) or value <= 0:
        return None
    return min(int(value), MAX_LIFETIME)


def token_from_response(body: Any, token_url: str) -> Token:
    """A usable :class:`Token` from a 200 answer, or :class:`TokenResponseError` saying what is unusable.
    Only ``access_token`` must be right to go on; the rest of the shape is judged by the checks."""
    if not isinstance(body, Mapping):
        raise TokenResponseError(f"token endpoint {token_url} answered 200 with a JSON {_kind(body)}, "
                                 "not a token response object", "check --token-url")
    access_token = body.get("access_token")
    if not isinstance(access_token, str) or not access_token.strip():
        raise TokenResponseError(f"token endpoint {token_url} answered 200 without a usable access_token "
                                 f"({_kind(access_token) if 'access_token' in body else 'absent'})",
                                 "the token response must carry access_token as a string")
    lifetime = lifetime_of(body.get("expires_in"))
    return Token(access_token=access_token, token_type=str(body.get("token_type") or ""),
                 expires_in=lifetime or FALLBACK_LIFETIME, scope=str(body.get("scope") or ""),
                 obtained_at=time.time(), response=dict(body))
