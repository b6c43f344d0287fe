"""TargetSession: everything a run needs to talk to its target, built once from a prepared run; and per API a
:class:`ProfileTarget`, what the checks of that API use (``sbs_session``).

With the embedded mock it starts the mock on a free 127.0.0.1 port, serving every selected API, and generates a
client key for the run. Results that several checks use (a token, an unpaged list) are fetched once and cached,
errors included, so a broken target is reported once per check instead of being hammered; every check that uses
a cached result is noted as relying on the calls that made it.

All calls share one :class:`~conformance.http.CallLimits`: the per-call timeout, ``--max-body``, the run's
``--deadline`` and the circuit breaker.
"""

from __future__ import annotations

import contextlib
import importlib.util
import time
import urllib.parse
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

from conformance.apiclient import ApiClient
from conformance.errors import TargetEnvironmentError
from conformance.evidence import Evidence
from conformance.http import CallLimits, RetryPolicy, bounded_client, send
from conformance.maskinporten.certs import private_key_pem
from conformance.maskinporten.client import MaskinportenClient, Token
from conformance.maskinporten.grant import SigningCredential
from conformance.preflight import Prepared
from conformance.profiles import Profile
from conformance.settings import Settings
from conformance.spec import Spec

VENDOR_ORG = "991825827"  # the embedded mock's vendor organisation for systembruker runs


@dataclass
class _Cached:
    value: Any = None
    error: BaseException | None = None
    done: bool = False
    seqs: range = range(0)  # the exchanges made while producing it


@dataclass
class TargetSession:
    settings: Settings
    evidence: Evidence
    limits: CallLimits
    profiles: list[Profile]
    specs: dict[str, Spec]
    params: dict[str, dict[str, str]] = field(default_factory=dict)
    mock: Any = None  # RunningMock when the embedded mock is used
    assumptions: dict[str, str] = field(default_factory=dict)  # every assumption's value in this run
    _credential: SigningCredential | None = None
    _stack: contextlib.ExitStack = field(default_factory=contextlib.ExitStack)
    _once: dict[str, _Cached] = field(default_factory=dict)
    _targets: dict[str, ProfileTarget] = field(default_factory=dict)
    _clients: dict[tuple[str, str | None, str | None], MaskinportenClient] = field(default_factory=dict)
    _roots: tuple[Settings, list[tuple[str, ProfileTarget]]] | None = None  # operation_of's, per settings

    @classmethod
    def start(cls, prepared: Prepared) -> TargetSession:
        s = prepared.settings
        deadline = time.monotonic() + s.deadline
        limits = CallLimits(timeout=s.timeout, max_body=s.max_body, run_deadline=deadline)
        session = cls(s, Evidence(), limits, list(prepared.profiles), dict(prepared.specs), dict(prepared.params),
                      assumptions=prepared.assumptions, _credential=prepared.credential)
        session.evidence.operation = session.operation_of
        session._stack.callback(session.evidence.close)
        if s.embedded_mock:
            session._start_embedded_mock()
        elif prepared.credential is not None:
            session._register_credential(prepared.credential)
        return session

    def _start_embedded_mock(self) -> None:
        from conformance.mock import Faults, serve
        from conformance.mock.credentials import register_client
        from conformance.mock.state import MOCK_ORG, seeded_state
        from conformance.mock.variants import Variants

        s = self.settings
        state = seeded_state(s.mock_size, faults=Faults.of(s.mock_fault), variants=Variants.of(s.mock_variant),
                             profiles=[p.name for p in self.profiles])
        state.assume(self.assumptions)
        org = s.org or MOCK_ORG
        customers = [org] if s.systemuser else []
        for profile in self.profiles:
            listed = getattr(profile.mock, "customers", None)
            customers += [c for c in (listed(state, org) if listed else []) if c not in customers]
        creds = register_client(state, VENDOR_ORG if s.systemuser else org, systemuser_orgs=tuple(customers),
                                scopes=(*(p.scope for p in self.profiles), *_other_scopes()))
        self.mock = self._stack.enter_context(serve(state))
        empty = s.empty_org
        if empty is None:
            defaults = [getattr(p.mock, "EMPTY_ORG", None) for p in self.profiles]
            empty = next((e for e in defaults if e and e != org), None)
        self.settings = replace(s, embedded=True, base_url=self.mock.base_url, token_url=self.mock.token_url,
                                issuer=self.mock.issuer, client_id=creds.client_id, kid=creds.kid, org=org,
                                empty_org=empty)
        self._register_credential(SigningCredential(creds.private_key, kid=creds.kid))

    def _register_credential(self, credential: SigningCredential) -> None:
        self._credential = credential
        self.evidence.redactor.register(private_key_pem(credential.private_key), "private-key")
        if self.settings.pkcs12_password:
            self.evidence.redactor.register(self.settings.pkcs12_password, "pkcs12-password")

    # -- per API -------------------------------------------------------------------------------------------
    def target(self, profile: Profile | str) -> ProfileTarget:
        name = profile if isinstance(profile, str) else profile.name
        if name not in self._targets:
            chosen = next(p for p in self.profiles if p.name == name)
            self._targets[name] = ProfileTarget(self, chosen)
        return self._targets[name]

    def base_url(self, profile: Profile) -> str:
        """The URL the API's paths are appended to. A mock (embedded or served) serves every API under its
        origin; on Skatteetaten's environment each API has its own host unless ``--base-url`` names it."""
        s = self.settings
        if s.target == "mock":
            assert s.base_url
            return s.base_url.rstrip("/") + profile.mock_mount
        if s.base_url and len(self.profiles) == 1:
            return s.base_url.rstrip("/")
        return profile.base_urls[s.target]

    def operation_of(self, kind: str, url: str) -> str:
        """The operation an exchange belongs to, for latencies (the OPS-01 checks): ``token`` or ``<api> <op>``."""
        if kind == "token":
            return "token"
        path = urllib.parse.urlsplit(url).path
        # The APIs' roots, worked out once per settings and APIs (every exchange of the run asks).
        if self._roots is None or self._roots[0] is not self.settings or len(self._roots[1]) != len(self._targets):
            self._roots = (self.settings, [(urllib.parse.urlsplit(t.base_url).path.rstrip("/") + t.profile.api_root, t)
                                           for t in self._targets.values()])
        for root, target in self._roots[1]:
            if path.startswith(root):
                return f"{target.profile.name} {target.profile.common.operation(path[len(root):])}"
        return "other"

    def assumed(self, assumption: str) -> str:
        """The value of an assumption in this run (its default, or what --assume set)."""
        return self.assumptions[assumption]

    # -- credentials -----------------------------------------------------------------------------------------
    @property
    def credential(self) -> SigningCredential:
        assert self._credential is not None, "prepare() loads the credential of a real target"
        return self._credential

    @property
    def retry(self) -> RetryPolicy:
        return RetryPolicy(attempts=self.settings.retries)

    def maskinporten(self, scope: str, systemuser_org: str | None = None, consent_id: str | None = None
                     ) -> MaskinportenClient:
        s = self.settings
        assert s.client_id and s.issuer and s.token_url
        client = MaskinportenClient(self.credential, client_id=s.client_id, issuer=s.issuer, token_url=s.token_url,
                                    scopes=[scope], systemuser_org=systemuser_org, consent_id=consent_id,
                                    evidence=self.evidence,
                                    retry=self.retry, timeout=s.timeout, limits=self.limits)
        return self._stack.enter_context(contextlib.closing(client))

    def shared_maskinporten(self, scope: str, systemuser_org: str | None, consent_id: str | None = None
                            ) -> MaskinportenClient:
        """One client per (scope, system user, consent) for the whole run: its token is reused by every check."""
        key = (scope, systemuser_org, consent_id)
        if key not in self._clients:
            self._clients[key] = self.maskinporten(scope, systemuser_org, consent_id)
        return self._clients[key]

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

    def once(self, key: str, make: Any, show: bool = True) -> Any:
        """``make()`` once per run under ``key`` (e.g. error samples several checks judge); every check that asks
        for it relies on its calls (and, with ``show``, lists them with its own)."""
        store = self._once.setdefault(key, _Cached())
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


def _other_scopes() -> tuple[str, ...]:
    from conformance.mock.credentials import OTHER_SCOPE

    return (OTHER_SCOPE,)


class ProfileTarget:
    """One API of the run, as its checks see it: its settings (scope, base URL), token, client, spec, params."""

    def __init__(self, run: TargetSession, profile: Profile) -> None:
        self.run, self.profile = run, profile
        self._settings: tuple[Settings, Settings] | None = None  # (the run's settings, this API's)

    # -- what the run holds, for this API ----------------------------------------------------------------------
    @property
    def evidence(self) -> Evidence:
        return self.run.evidence

    @property
    def limits(self) -> CallLimits:
        return self.run.limits

    @property
    def mock(self) -> Any:
        return self.run.mock

    @property
    def spec(self) -> Spec:
        return self.run.specs[self.profile.name]

    @property
    def params(self) -> dict[str, str]:
        return self.run.params.get(self.profile.name, {})

    def param(self, name: str) -> str | None:
        return self.params.get(name)

    @property
    def base_url(self) -> str:
        return self.run.base_url(self.profile)

    @property
    def settings(self) -> Settings:
        """The run's settings with this API's scope and base URL. Made again only when the run's settings change
        (the embedded mock's start sets them): the main token's client asks for them on every call."""
        s = self.run.settings
        if self._settings is None or self._settings[0] is not s:
            scope = s.scope if s.scope and len(self.run.profiles) == 1 else self.profile.scope
            self._settings = (s, replace(s, scope=scope, base_url=self.base_url))
        return self._settings[1]

    def assumed(self, assumption: str) -> str:
        return self.run.assumed(assumption)

    def get_json(self, url: str) -> Any:
        return self.run.get_json(url)

    def once(self, key: str, make: Any, show: bool = True) -> Any:
        return self.run.once(f"{self.profile.name}:{key}", make, show)

    # -- tokens and clients ------------------------------------------------------------------------------------
    def maskinporten(self, *, scope: str | None = None, systemuser_org: str | None = None,
                     consent_id: str | None = None) -> MaskinportenClient:
        return self.run.maskinporten(scope or self.settings.scope or self.profile.scope, systemuser_org, consent_id)

    def token_client(self, *, systemuser_org: str | None = None, consent_id: str | None = None
                     ) -> MaskinportenClient:
        """The run's token client for a system user or a consent other than the main one (reused by every check)."""
        return self.run.shared_maskinporten(self.settings.scope or self.profile.scope, systemuser_org, consent_id)

    @property
    def token_options(self) -> dict[str, str | None]:
        """How this API's main token is asked for: the profile decides (a system user for the party it reads, a
        consent), else ``--systemuser`` does."""
        s = self.run.settings
        options = dict(self.profile.common.token_options(self))
        options.setdefault("systemuser_org", s.org if s.systemuser else None)
        options.setdefault("consent_id", None)
        return options

    @property
    def acting_org(self) -> str | None:
        """The organisation the main token acts for: the system user's customer, else the client's own."""
        return self.token_options["systemuser_org"] or self.run.settings.org

    @property
    def main_maskinporten(self) -> MaskinportenClient:
        o = self.token_options
        return self.token_client(systemuser_org=o["systemuser_org"], consent_id=o["consent_id"])

    def token(self) -> Token:
        """The run's token for this API (fetched once; its calls are not listed with every check)."""
        return self.once("token", self.main_maskinporten.token, show=False)

    def host_client(self, host: str) -> Any:
        """A client (main token) for another host of this API (``CommonSetup.hosts``), made once."""
        if not host:
            return self.client
        return self.once(f"host-client:{host}", lambda: self.api(base_url=self.profile.common.hosts(self)[host]),
                         show=False)

    def api(self, token: Any = None, accept: str | None = None, base_url: str | None = None) -> Any:
        """An API client; ``token`` is a callable giving the bearer token (default: the main token); ``base_url``
        another host of the API (a plain client there)."""
        factory = _client_factory(self.profile) if base_url is None else _plain_factory("")
        client = factory(base_url or self.base_url, token or (lambda: self.main_maskinporten.access_token()),
                         evidence=self.evidence, retry=self.run.retry, timeout=self.run.settings.timeout,
                         limits=self.limits)
        if accept:
            client.accept = accept
        return self.run._stack.enter_context(contextlib.closing(client))

    @cached_property
    def client(self) -> Any:
        return self.api()

    @property
    def other_scope(self) -> str | None:
        """A second scope of the client: the mock's test scope, or ``--other-scope`` on a real target."""
        if self.mock is not None:
            return _other_scopes()[0]
        return self.run.settings.other_scope


def _client_factory(profile: Profile) -> Any:
    """The profile's own client class (``client.CLIENT``), or a plain :class:`ApiClient` under its root."""
    if importlib.util.find_spec(f"{profile.package}.client") is not None:
        module = profile.module("client")
        if hasattr(module, "CLIENT"):
            return module.CLIENT
    return _plain_factory(profile.api_root)


def _plain_factory(root: str) -> Any:
    def plain(base_url: str, token: Any, **kwargs: Any) -> ApiClient:
        return ApiClient(base_url, token, root=root, **kwargs)

    return plain
