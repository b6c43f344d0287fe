"""The Trekkpålegg client-check scenarios: deterministic data and behaviour for each poll of a vendor's SBS.

Each scenario seeds the mock for its first poll, may change the data before later polls, and names the
SBS requirements it judges (the model: :mod:`conformance.clientcheck.scenarios`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from conformance.clientcheck.scenarios import EXTERNAL_REF, Scenario, Setting, pending_systemuser, two_systemusers
from conformance.mock.state import Behaviour, MockState
from conformance.profiles.trekkpaalegg.mock import data
from conformance.profiles.trekkpaalegg.store import GeneratedStore, MemoryStore

BASE = ("SBS-AUTH-01", "SBS-AUTH-02", "SBS-PAGE-01", "SBS-PAGE-02", "SBS-STATE-01", "SBS-STATE-02", "SBS-OPS-01")
SYSTEMUSER_EVERYWHERE = "SBS-SU-01"  # judged in every scenario of a systembruker run


def _all_versions(store: GeneratedStore) -> list[dict[str, Any]]:
    items = [v for latest in store.latest() for n in range(1, latest["trekkversjon"] + 1)
             if (v := store.version(latest["trekkid"], n)) is not None]
    return sorted(items, key=lambda v: v["sekvensnummer"])


def _memory(org: str, n: int, seed: int) -> MemoryStore:
    return MemoryStore(_all_versions(GeneratedStore(org, n, seed=seed)))


def _new_version(store: MemoryStore, trekkid: str) -> None:
    """Publish the next version of a trekkpålegg (next sekvensnummer): one more period, same case and KID."""
    n = store.latest_version_number(trekkid) or 0
    item = store.version(trekkid, n)
    assert item is not None
    periods = item["trekkstoerrelseForPeriode"]
    start = dt.date.fromisoformat(periods[-1]["startdato"]) + dt.timedelta(days=31)
    periods[-1]["sluttdato"] = (start - dt.timedelta(days=1)).isoformat()
    periods.append({"startdato": start.isoformat(), "trekkbeloep": {"trekkbeloep": 1000 + n}})
    item["trekkstatus"] = "aktiv"
    item.pop("sekvensnummer")
    item["trekkversjon"] = n + 1
    store.add(item)


def _new_trekkpaalegg(store: MemoryStore, org: str, count: int, seed: int) -> None:
    template = GeneratedStore(org, count, seed=seed)
    for item in template.latest():
        fresh = template.version(item["trekkid"], 1)
        assert fresh is not None
        fresh["trekkid"] = "N" + fresh["trekkid"]
        fresh.pop("sekvensnummer")
        store.add(fresh)


def _with_unknown_fields(item: dict[str, Any]) -> dict[str, Any]:
    item = {**item, "nyttFelt": {"kilde": "fremtidig versjon"}, "prioritet": "A"}
    item["betalingsinformasjon"] = {**item["betalingsinformasjon"], "iban": None, "nyttFelt": [1, 2]}
    periods = []
    for p in item["trekkstoerrelseForPeriode"]:
        p = {**p, "kommentar": "ukjent"}
        for key in ("trekkbeloep", "trekkprosent"):
            if key in p:
                p[key] = {**p[key], "valuta": "NOK"}
        periods.append(p)
    item["trekkstoerrelseForPeriode"] = periods
    return item


def _set(store_factory: Callable[[str], Any], behaviour: Behaviour | None = None
         ) -> Callable[[MockState, str], None]:
    def setup(state: MockState, org: str) -> None:
        data(state).stores[org] = store_factory(org)
        state.behaviour = behaviour or Behaviour()
    return setup


def _incremental_change(state: MockState, poll: int, org: str) -> None:
    store = data(state).stores[org]
    _new_trekkpaalegg(store, org, 20, seed=100 + poll)
    for t in [i["trekkid"] for i in store.latest()][:15]:
        _new_version(store, t)


def _versions_change(state: MockState, poll: int, org: str) -> None:
    store = data(state).stores[org]
    for t in [i["trekkid"] for i in store.latest()][5:15]:
        for _ in range(3):
            _new_version(store, t)


SCENARIOS: dict[str, Scenario] = {s.name: replace(s, everywhere_systemuser=SYSTEMUSER_EVERYWHERE) for s in (
    Scenario("empty", "An organisation with no data yet: 200 []", BASE, _set(lambda org: MemoryStore())),
    Scenario("first-sync", "5 003 trekkpålegg: the client must page with maksAntall", BASE,
             _set(lambda org: GeneratedStore(org, 5003, seed=11))),
    Scenario("page-boundary", "5 000 trekkpålegg, an exact multiple of common page sizes (100, 500, 1000, 2500)",
             BASE, _set(lambda org: GeneratedStore(org, 5000, seed=12, max_versions=1))),
    Scenario("incremental", "Second poll after 20 new trekkpålegg and 15 new versions (contiguous sekvensnummer)",
             (*BASE, "SBS-PAGE-03"), _set(lambda org: _memory(org, 300, 13)), polls=2, between=_incremental_change),
    Scenario("versions", "Three new versions of ten trekkpålegg between polls; only the latest is listed",
             (*BASE, "SBS-PAGE-03"), _set(lambda org: _memory(org, 50, 14)), polls=2, between=_versions_change),
    Scenario("token-expiry", "The token expires mid-sync (401 on its third call)", (*BASE, "SBS-AUTH-03"),
             _set(lambda org: GeneratedStore(org, 3000, seed=15), Behaviour(token_max_uses=2))),
    Scenario("transient-errors", "503 on API calls 2 and 5, 429 with Retry-After: 1 on call 3",
             (*BASE, "SBS-ERR-01"),
             _set(lambda org: GeneratedStore(org, 2600, seed=16),
                  Behaviour(transient={2: (503, None), 3: (429, 1), 5: (503, None)}))),
    Scenario("fatal-errors", "403 on every API call: the client must stop", ("SBS-AUTH-01", "SBS-ERR-02"),
             _set(lambda org: GeneratedStore(org, 100, seed=17), Behaviour(forbidden=True)), expect_success=False),
    Scenario("unknown-fields", "Extra fields at every level; optional fields absent", (*BASE, "SBS-ROB-01"),
             _set(lambda org: MemoryStore(_with_unknown_fields(i)
                                          for i in _all_versions(GeneratedStore(org, 200, seed=18))))),
    Scenario("slow", "0.05 s latency on every API call: checks the client's concurrency", BASE,
             _set(lambda org: GeneratedStore(org, 1500, seed=19), Behaviour(latency=0.05))),
    Scenario("systemuser-pending", "The customer's system user is not approved yet: the client must stop with a "
             "message naming the missing approval", ("SBS-SU-02",), _set(lambda org: GeneratedStore(org, 100, seed=20)),
             expect_success=False, altinn=pending_systemuser, systemuser_only=True),
    Scenario("systemuser-external-ref", f"Two system users of the customer; the client must name externalRef "
             f"{EXTERNAL_REF}", (*BASE, "SBS-SU-03"), _set(lambda org: GeneratedStore(org, 300, seed=21)),
             altinn=two_systemusers, systemuser_only=True),
)}


def truth(state: MockState, setting: Setting) -> tuple[dict[str, int], int]:
    """(trekkid -> latest trekkversjon, highest sekvensnummer) of the organisation's data now."""
    items = data(state).store(setting.data_org).latest()
    return {str(i["trekkid"]): int(i["trekkversjon"]) for i in items}, max(
        (int(i["sekvensnummer"]) for i in items), default=0)
