"""The mock's state: its Maskinporten, each served profile's data, switches, recording, concurrency."""

from __future__ import annotations

import json
import threading
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from conformance.mock.faults import Faults
from conformance.mock.maskinporten import MockMaskinporten
from conformance.mock.variants import Variants

#: The organisation of the embedded mock's client (the vendor in alternativ 1; a valid TT02 test organisation).
MOCK_ORG = "310702641"


@dataclass
class Behaviour:
    """How an API behaves in a client-check scenario (beyond the rules): all off by default."""

    latency: float = 0.0  # seconds added to every API call
    transient: dict[int, tuple[int, int | None]] = field(default_factory=dict)  # API call no. -> (status, Retry-After)
    forbidden: bool = False  # 403 on every API call
    token_max_uses: int | None = None  # a token is treated as expired (401) after this many API calls
    # ... only the first this many tokens the client uses (None: every token). A client calling in parallel
    # repeats several refused calls at once: with every token expiring by count, a repeat could meet a new token
    # already used up by the other calls; a real token expires by time and serves a repeat at once.
    expiring_tokens: int | None = None

    @classmethod
    def first_token_expires(cls, after: int = 4) -> Behaviour:
        """The token-expiry scenario of a client that may call in parallel: its first token is refused (401) after
        ``after`` API calls, as if it expired mid-run; the tokens it gets after that live on."""
        return cls(token_max_uses=after, expiring_tokens=1)


@dataclass
class MockState:
    maskinporten: MockMaskinporten = field(default_factory=MockMaskinporten)
    faults: Faults = field(default_factory=Faults)
    variants: Variants = field(default_factory=Variants)
    origin: str = "http://127.0.0.1"
    max_concurrent: int | None = 5  # Skatteetaten's usage rule, per API and organisation; None: unlimited
    behaviour: Behaviour = field(default_factory=Behaviour)
    traffic: list[dict[str, Any]] | None = None  # every request, when recording (client-check)
    record_file: Any = None  # an open text file: traffic is also appended as JSON lines
    poll: int = 0  # which poll of a scenario the traffic belongs to
    after_record: Any = None  # callable(entry): e.g. end a poll in `mock serve --scenario`
    api_calls: int = 0
    served: list[str] = field(default_factory=list)  # the profiles the mock serves (empty: every registered one)
    data: dict[str, Any] = field(default_factory=dict)  # profile name -> that profile's mock data
    assumptions: dict[str, str] = field(default_factory=dict)  # the mock's named assumptions (scope mock)
    _token_uses: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    _token_order: dict[str, int] = field(default_factory=dict)
    _in_flight: dict[tuple[str, str], int] = field(default_factory=lambda: defaultdict(int))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def profiles(self) -> list[Any]:
        from conformance.profiles import get, profiles

        return [get(n) for n in self.served] if self.served else profiles()

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

    def use_token(self, jti: str) -> tuple[int, int]:
        """Count a call made with this token: (its calls so far, this one included; how many tokens were used
        before it was first used)."""
        with self._lock:
            if jti not in self._token_uses:
                self._token_order[jti] = len(self._token_order)
            self._token_uses[jti] += 1
            return self._token_uses[jti], self._token_order[jti]

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

    def base_url(self, profile: Any) -> str:
        """Where the mock serves a profile: the URL its paths are appended to."""
        return self.origin + profile.mock_mount

    def enter(self, api: str, org: str) -> bool:
        """Count a call in; False when it would exceed the concurrency limit (per API and organisation)."""
        with self._lock:
            if self.max_concurrent is not None and self._in_flight[(api, org)] >= self.max_concurrent:
                return False
            self._in_flight[(api, org)] += 1
            return True

    def leave(self, api: str, org: str) -> None:
        with self._lock:
            self._in_flight[(api, org)] -= 1


def seeded_state(size: int = 2_000, *, faults: Faults | None = None, variants: Variants | None = None,
                 seed: int = 1, profiles: Iterable[str] = ()) -> MockState:
    """A mock with every (or the named) profile's standard data; ``size`` is the generated data set's size."""
    state = MockState(faults=faults or Faults(), variants=variants or Variants(), served=list(profiles))
    for profile in state.profiles():
        profile.mock.seed(state, size=size, seed=seed)
    return state
