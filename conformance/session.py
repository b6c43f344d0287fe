"""TargetSession: everything a run needs to talk to its target, built once from a prepared run.

With the embedded mock it starts the mock on a free 127.0.0.1 port and generates a client key for the
run. Results that several checks use (the token, the unpaged list) are fetched once and cached, errors
included, so a broken target is reported once per check instead of being hammered; every check that uses a
cached result is noted as relying on the calls that made it.

All calls share one :class:`~conformance.http.CallLimits`: the per-call timeout, ``--max-body``, the run's
``--deadline`` and the circuit breaker.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

from conformance.api import TrekkpaaleggClient
from conformance.api.liste import Liste
from conformance.errors import TargetEnvironmentError
from conformance.evidence import Evidence
from conformance.http import CallLimits, RetryPolicy, bounded_client, send
from conformance.maskinporten.certs import private_key_pem
from conformance.maskinporten.client import MaskinportenClient, Token
from conformance.maskinporten.grant import SigningCredential
from conformance.preflight import Prepared
from conformance.settings import Settings
from conformance.spec import Spec

VENDOR_ORG = "991825827"  # the embedded mock's vendor organisation for systembruker runs
API_PATH = "/api/trekkpaalegg/v1"


def operation_of(kind: str, url: str) -> str:
    """The operation an exchange belongs to, for latencies (TP-OPS-01)."""
    if kind == "token":
        return "token"
    path = url.split("://", 1)[-1].split("/", 1)[-1].split("?")[0]
    return "list" if path.rstrip("/").endswith("trekkpaalegg/v1") else "version/other"


@dataclass
class _Cached:
    value: Any = None
    error: BaseException | None = None
    done: bool = False
    seqs: range = range(0)  # the exchanges made while producing it


@dataclass
class TargetSession:
    settings: Settings
    spec: Spec
    evidence: Evidence
    limits: CallLimits
    mock: Any = None  # RunningMock when the embedded mock is used
    assumptions: dict[str, str] = field(default_factory=dict)  # every assumption's value in this run
    _credential: SigningCredential | None = None
    _stack: contextlib.ExitStack = field(default_factory=contextlib.ExitStack)
    _token: _Cached = field(default_factory=_Cached)
    _list: _Cached = field(default_factory=_Cached)
    _once: dict[str, _Cached] = field(default_factory=dict)

    @classmethod
    def start(cls, prepared: Prepared) -> TargetSession:
        s = prepared.settings
        deadline = time.monotonic() + s.deadline
        limits = CallLimits(timeout=s.timeout, max_body=s.max_body, run_deadline=deadline)
        session = cls(s, prepared.spec, Evidence(operation=operation_of), limits, assumptions=prepared.assumptions,
                      _credential=prepared.credential)
        session._stack.callback(session.evidence.close)
        if s.embedded_mock:
            session._start_embedded_mock()
        elif prepared.credential is not None:
            session._register_credential(prepared.credential)
        return session

    def _start_embedded_mock(self) -> None:
        from conformance.mock import EMPTY_ORG, EXAMPLES_ORG, GENERATED_ORG, Faults, seeded_state, serve
        from conformance.mock.credentials import register_client

        s = self.settings
        from conformance.mock.variants import Variants

        state = seeded_state(s.mock_size, faults=Faults.of(s.mock_fault), variants=Variants.of(s.mock_variant))
        state.assume(self.assumptions)
        org = s.org or EXAMPLES_ORG
        customers = tuple(o for o in (EMPTY_ORG, GENERATED_ORG, EXAMPLES_ORG, org) if s.systemuser or o != org)
        creds = register_client(state, VENDOR_ORG if s.systemuser else org, systemuser_orgs=customers)
        self.mock = self._stack.enter_context(serve(state))
        self.settings = replace(s, embedded=True, base_url=self.mock.base_url, token_url=self.mock.token_url,
                                issuer=self.mock.issuer, client_id=creds.client_id, kid=creds.kid, org=org,
                                empty_org=s.empty_org or (EMPTY_ORG if org != EMPTY_ORG else None))
        self._register_credential(SigningCredential(creds.private_key, kid=creds.kid))

    def _register_credential(self, credential: SigningCredential) -> None:
        self._credential = credential
        self.evidence.redactor.register(private_key_pem(credential.private_key), "private-key")
        if self.settings.pkcs12_password:
            self.evidence.redactor.register(self.settings.pkcs12_password, "pkcs12-password")

    def assumed(self, assumption: str) -> str:
        """The value of an assumption in this run (its default, or what --assume set)."""
        return self.assumptions[assumption]

    # -- credentials and clients ---------------------------------------------------------------------
    @property
    def credential(self) -> SigningCredential:
        assert self._credential is not None, "prepare() loads the credential of a real target"
        return self._credential

    @property
    def retry(self) -> RetryPolicy:
        return RetryPolicy(attempts=self.settings.retries)

    def maskinporten(self, *, scope: str | None = None, systemuser_org: str | None = None) -> MaskinportenClient:
        s = self.settings
        assert s.client_id and s.issuer and s.token_url
        client = MaskinportenClient(self.credential, client_id=s.client_id, issuer=s.issuer, token_url=s.token_url,
                                    scopes=[scope or s.scope], systemuser_org=systemuser_org,
                                    evidence=self.evidence, retry=self.retry, timeout=s.timeout,
                                    limits=self.limits)
        return self._stack.enter_context(contextlib.closing(client))

    @cached_property
    def main_maskinporten(self) -> MaskinportenClient:
        s = self.settings
        return self.maskinporten(systemuser_org=s.org if s.systemuser else None)

    def token(self) -> Token:
        return self._cached(self._token, self.main_maskinporten.token, show=False)

    def api(self, token: Any = None) -> TrekkpaaleggClient:
        """An API client; ``token`` is a callable giving the bearer token (default: the main token)."""
        s = self.settings
        assert s.base_url
        client = TrekkpaaleggClient(s.base_url, token or (lambda: self.main_maskinporten.access_token()),
                                    evidence=self.evidence, retry=self.retry, timeout=s.timeout, limits=self.limits)
        return self._stack.enter_context(contextlib.closing(client))

    @cached_property
    def client(self) -> TrekkpaaleggClient:
        return self.api()

    @property
    def other_scope(self) -> str | None:
        """A second scope of the client: the mock's test scope, or ``--other-scope`` on a real target."""
        if self.mock is not None:
            from conformance.mock.credentials import OTHER_SCOPE

            return OTHER_SCOPE
        return self.settings.other_scope

    def get_json(self, url: str) -> Any:
        """GET a JSON document (metadata, JWKS) with retries, recorded as evidence; None when the answer is
        not JSON. A non-200 answer is an environment error."""
        with contextlib.closing(bounded_client(timeout=self.settings.timeout)) as http:
            response = send(http, http.build_request("GET", url, headers={"Accept": "application/json"}),
                            self.evidence, self.retry, self.limits, kind="token")
        if response.status_code != 200:
            raise TargetEnvironmentError(f"GET {url} answered HTTP {response.status_code}",
                                         "check --issuer: metadata must be at <issuer>.well-known/...")
        try:
            return response.json()
        except ValueError:
            return None

    def liste(self) -> Liste:
        """The unpaged list of the target organisation, fetched once and held in bounded memory (items on
        disk, read back one at a time)."""
        def fetch() -> Liste:
            self.token()
            liste = self.client.les_alle()
            self._stack.callback(liste.close)
            return liste
        return self._cached(self._list, fetch)

    def once(self, key: str, make: Any) -> Any:
        """``make()`` once per run under ``key`` (e.g. error samples several checks judge); every check that asks
        for it relies on its calls."""
        return self._cached(self._once.setdefault(key, _Cached()), make)

    def _cached(self, store: _Cached, make: Any, show: bool = True) -> Any:
        """``make()`` once (its error too); every caller is noted as relying on the calls it made (and, with
        ``show``, lists them with its own)."""
        if not store.done:
            before = self.evidence.last_seq
            try:
                store.value = make()
            except Exception as exc:  # cached and re-raised for every check that needs it
                store.error = exc
            store.seqs = range(before + 1, self.evidence.last_seq + 1)
            store.done = True
        self.evidence.rely_on(store.seqs, show=show)
        if store.error is not None:
            raise store.error
        return store.value

    def close(self) -> None:
        self._stack.close()
