"""The mock's state: its Maskinporten, the organisations' stores, fault switches, settings."""

from __future__ import annotations

import json
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from conformance.errorcodes import DEFAULT_PREFIX
from conformance.mock.faults import Faults
from conformance.mock.maskinporten import MockMaskinporten
from conformance.mock.store import GeneratedStore, MemoryStore, Store, examples_store
from conformance.mock.variants import Variants

# Deterministic seed organisations (valid check digits; TT02 test organisations).
EXAMPLES_ORG = "310702641"  # the published examples
EMPTY_ORG = "313367002"  # no data: the onboarding "empty 200" case
GENERATED_ORG = "314961900"  # generated data (size configurable)
OTHER_ORG = "311851381"  # for fault switches that answer with another organisation's number


@dataclass
class Behaviour:
    """How the API behaves in a client-check scenario (beyond the rules): all off by default."""

    latency: float = 0.0  # seconds added to every API call
    transient: dict[int, tuple[int, int | None]] = field(default_factory=dict)  # API call no. -> (status, Retry-After)
    forbidden: bool = False  # 403 on every API call
    token_max_uses: int | None = None  # a token is treated as expired (401) after this many API calls


@dataclass
class MockState:
    maskinporten: MockMaskinporten = field(default_factory=MockMaskinporten)
    stores: dict[str, Store] = field(default_factory=dict)
    faults: Faults = field(default_factory=Faults)
    variants: Variants = field(default_factory=Variants)
    error_prefix: str = DEFAULT_PREFIX
    origin: str = "http://127.0.0.1"
    max_concurrent: int | None = 5  # Skatteetaten's usage rule, per organisation; None: unlimited
    behaviour: Behaviour = field(default_factory=Behaviour)
    traffic: list[dict[str, Any]] | None = None  # every request, when recording (client-check)
    record_file: Any = None  # an open text file: traffic is also appended as JSON lines
    poll: int = 0  # which poll of a scenario the traffic belongs to
    after_record: Any = None  # callable(entry): e.g. end a poll in `mock serve --scenario`
    api_calls: int = 0
    _token_uses: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    _in_flight: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    assumptions: dict[str, str] = field(default_factory=dict)  # the mock's named assumptions (scope mock)

    def assume(self, values: dict[str, str]) -> None:
        """Serve by these values of the mock's named assumptions (the rest keep their defaults)."""
        self.assumptions.update(values)
        self.maskinporten.assumptions = self.assumptions

    def record(self, entry: dict[str, Any]) -> None:
        with self._lock:
            if self.traffic is None:
                return
            entry["seq"] = len(self.traffic) + 1
            entry["poll"] = self.poll
            self.traffic.append(entry)
            if self.record_file is not None:
                self.record_file.write(json.dumps(entry, ensure_ascii=False) + "\n")
                self.record_file.flush()
        if self.after_record is not None:
            self.after_record(entry)

    def next_api_call(self) -> int:
        with self._lock:
            self.api_calls += 1
            return self.api_calls

    def use_token(self, jti: str) -> int:
        with self._lock:
            self._token_uses[jti] += 1
            return self._token_uses[jti]

    def set_origin(self, origin: str) -> None:
        """Where the mock is reachable; the issuer is the origin with a trailing slash, as in Maskinporten."""
        self.origin = origin.rstrip("/")
        self.maskinporten.issuer = f"{self.origin}/"

    @property
    def token_url(self) -> str:
        return f"{self.origin}/token"

    @property
    def issuer(self) -> str:
        return self.maskinporten.issuer

    def store(self, org: str) -> Store:
        return self.stores.get(org) or MemoryStore()

    def enter(self, org: str) -> bool:
        """Count a call in; False when it would exceed the concurrency limit."""
        with self._lock:
            if self.max_concurrent is not None and self._in_flight[org] >= self.max_concurrent:
                return False
            self._in_flight[org] += 1
            return True

    def leave(self, org: str) -> None:
        with self._lock:
            self._in_flight[org] -= 1


def seeded_state(generated: int = 2_000, *, faults: Faults | None = None, seed: int = 1,
                 variants: Variants | None = None) -> MockState:
    """The standard seed: examples org, empty org, and a generated org with ``generated`` trekkpålegg."""
    state = MockState(faults=faults or Faults(), variants=variants or Variants())
    state.stores[EXAMPLES_ORG] = examples_store(EXAMPLES_ORG)
    state.stores[EMPTY_ORG] = MemoryStore()
    if generated:
        state.stores[GENERATED_ORG] = GeneratedStore(GENERATED_ORG, generated, seed=seed)
    return state


_KINDS = {"examples": EXAMPLES_ORG, "empty": EMPTY_ORG, "generated": GENERATED_ORG}


def org_specs(specs: list[str], seed: int = 1) -> dict[str, Store]:
    """Stores from ``examples``, ``empty``, ``generated[:N]``, each optionally prefixed ``ORGNR=``."""
    from conformance.identifiers import orgnr_ok

    stores: dict[str, Store] = {}
    for spec in specs:
        org, _, kind = spec.rpartition("=")
        kind, _, size = kind.partition(":")
        if kind not in _KINDS:
            raise ValueError(f"unknown organisation kind {kind!r} in {spec!r}; use examples, empty or generated[:N]")
        org = org or _KINDS[kind]
        if not orgnr_ok(org):
            raise ValueError(f"{org} in {spec!r} is not a valid organisation number")
        if kind == "examples":
            stores[org] = examples_store(org)
        elif kind == "empty":
            stores[org] = MemoryStore()
        else:
            if size and not size.isdigit():
                raise ValueError(f"size {size!r} in {spec!r} is not a number")
            stores[org] = GeneratedStore(org, int(size or 2000), seed=seed)
    return stores
