"""TargetSession: everything a run needs to talk to its target, built once from Settings.

With the embedded mock it starts the mock on a free 127.0.0.1 port and generates a client key for the
run. Results that several checks use (the token, the unpaged list) are fetched once and cached, errors
included, so a broken target is reported once per check instead of being hammered.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

from conformance.api import TrekkpaaleggClient
from conformance.errors import ConfigError, TargetEnvironmentError
from conformance.evidence import Evidence
from conformance.http import RetryPolicy
from conformance.maskinporten.certs import (
    key_matches_certificate,
    load_certificate_chain,
    load_pkcs12,
    load_private_key,
    private_key_pem,
)
from conformance.maskinporten.client import MaskinportenClient, Token
from conformance.maskinporten.grant import SigningCredential
from conformance.settings import Settings
from conformance.spec import Spec, load_spec

VENDOR_ORG = "991825827"  # the embedded mock's vendor organisation for systembruker runs


@dataclass
class _Cached:
    value: Any = None
    error: BaseException | None = None
    done: bool = False


def _cached(store: _Cached, make: Any) -> Any:
    if not store.done:
        try:
            store.value = make()
        except Exception as exc:  # cached and re-raised for every check that needs it
            store.error = exc
        store.done = True
    if store.error is not None:
        raise store.error
    return store.value


@dataclass
class TargetSession:
    settings: Settings
    evidence: Evidence = field(default_factory=Evidence)
    mock: Any = None  # RunningMock when the embedded mock is used
    _stack: contextlib.ExitStack = field(default_factory=contextlib.ExitStack)
    _token: _Cached = field(default_factory=_Cached)
    _list: _Cached = field(default_factory=_Cached)

    @classmethod
    def start(cls, settings: Settings) -> TargetSession:
        session = cls(settings)
        if settings.embedded_mock:
            session._start_embedded_mock()
        return session

    def _start_embedded_mock(self) -> None:
        from conformance.mock import EMPTY_ORG, EXAMPLES_ORG, GENERATED_ORG, Faults, seeded_state, serve
        from conformance.mock.credentials import register_client

        s = self.settings
        state = seeded_state(s.mock_size, faults=Faults.of(s.mock_fault))
        org = s.org or EXAMPLES_ORG
        customers = tuple(o for o in (EMPTY_ORG, GENERATED_ORG, EXAMPLES_ORG, org) if s.systemuser or o != org)
        creds = register_client(state, VENDOR_ORG if s.systemuser else org, systemuser_orgs=customers)
        self.mock = self._stack.enter_context(serve(state))
        self.settings = replace(s, embedded=True, base_url=self.mock.base_url, token_url=self.mock.token_url,
                                issuer=self.mock.issuer, client_id=creds.client_id, kid=creds.kid, org=org,
                                empty_org=s.empty_org or (EMPTY_ORG if org != EMPTY_ORG else None))
        self._credential = SigningCredential(creds.private_key, kid=creds.kid)
        self.evidence.redactor.register(private_key_pem(creds.private_key), "private-key")

    # -- credentials and clients ---------------------------------------------------------------------
    @cached_property
    def credential(self) -> SigningCredential:
        if hasattr(self, "_credential"):
            return self._credential
        s = self.settings
        password = s.pkcs12_password.encode() if s.pkcs12_password else None
        if s.pkcs12:
            key, chain = load_pkcs12(s.pkcs12, password)
            credential = SigningCredential(key, x5c=tuple(chain))
        else:
            assert s.key is not None  # validated in settings
            key = load_private_key(s.key)
            if s.cert:
                chain = load_certificate_chain(s.cert)
                if not key_matches_certificate(key, chain[0]):
                    raise ConfigError(f"the key in {s.key} does not belong to the first certificate in {s.cert}",
                                      "put the signing certificate first in the PEM chain")
                credential = SigningCredential(key, x5c=tuple(chain))
            else:
                credential = SigningCredential(key, kid=s.kid)
        self.evidence.redactor.register(private_key_pem(credential.private_key), "private-key")
        if s.pkcs12_password:
            self.evidence.redactor.register(s.pkcs12_password, "pkcs12-password")
        return credential

    @property
    def retry(self) -> RetryPolicy:
        return RetryPolicy(attempts=self.settings.retries)

    def maskinporten(self, *, scope: str | None = None, systemuser_org: str | None = None) -> MaskinportenClient:
        s = self.settings
        assert s.client_id and s.issuer and s.token_url
        return MaskinportenClient(self.credential, client_id=s.client_id, issuer=s.issuer, token_url=s.token_url,
                                  scopes=[scope or s.scope], systemuser_org=systemuser_org, evidence=self.evidence,
                                  retry=self.retry, timeout=s.timeout)

    @cached_property
    def main_maskinporten(self) -> MaskinportenClient:
        s = self.settings
        return self._stack.enter_context(
            contextlib.closing(self.maskinporten(systemuser_org=s.org if s.systemuser else None)))

    def token(self) -> Token:
        return _cached(self._token, self.main_maskinporten.token)

    def api(self, token: Any = None) -> TrekkpaaleggClient:
        """An API client; ``token`` is a callable giving the bearer token (default: the main token)."""
        s = self.settings
        assert s.base_url
        client = TrekkpaaleggClient(s.base_url, token or (lambda: self.main_maskinporten.access_token()),
                                    evidence=self.evidence, retry=self.retry, timeout=s.timeout)
        return self._stack.enter_context(contextlib.closing(client))

    @cached_property
    def client(self) -> TrekkpaaleggClient:
        return self.api()

    @cached_property
    def spec(self) -> Spec:
        return load_spec(self.settings.spec)

    @property
    def other_scope(self) -> str | None:
        """A second scope of the client: the mock's test scope, or ``--other-scope`` on a real target."""
        if self.mock is not None:
            from conformance.mock.credentials import OTHER_SCOPE

            return OTHER_SCOPE
        return self.settings.other_scope

    def get_json(self, url: str) -> Any:
        """GET a JSON document (metadata, JWKS) with retries, recorded as evidence."""
        import httpx

        from conformance.http import send

        with httpx.Client(timeout=self.settings.timeout, event_hooks=self.evidence.event_hooks("token")) as http:
            response = send(http, http.build_request("GET", url, headers={"Accept": "application/json"}),
                            self.evidence, self.retry)
        if response.status_code != 200:
            raise TargetEnvironmentError(f"GET {url} answered HTTP {response.status_code}",
                                         "check --issuer: metadata must be at <issuer>.well-known/...")
        return response.json()

    def liste(self) -> list[dict[str, Any]]:
        """The unpaged list of the target organisation, fetched once."""
        def fetch() -> list[dict[str, Any]]:
            self.token()
            return self.client.hent_alle()
        return _cached(self._list, fetch)

    def close(self) -> None:
        self._stack.close()
