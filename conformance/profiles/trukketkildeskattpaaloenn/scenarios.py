"""The Trukket kildeskatt client-check scenarios: which persons and years the client looks up, and what the mock
holds for them. The client gets its lookups in ``SBS_LOOKUPS`` (``person:year,person:year``) and its
rettighetspakke in ``SBS_RETTIGHETSPAKKE``; the model is :mod:`conformance.clientcheck.scenarios`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from conformance.clientcheck.scenarios import Scenario, Setting
from conformance.mock.state import Behaviour, MockState
from conformance.mock.variants import Variants
from conformance.profiles.trukketkildeskattpaaloenn.mock import (
    EXAMPLE_PERSON,
    NO_DATA_PERSON,
    UNKNOWN_PERSON,
    data,
    seed,
)

Lookup = tuple[str, int]
BASE = ("TKS-SBS-AUTH-01", "TKS-SBS-GET-01", "TKS-SBS-FMT-01", "TKS-SBS-OPS-01")


def _setup(lookups: Callable[[MockState], list[Lookup]], variants: tuple[str, ...] = (),
           behaviour: Behaviour | None = None) -> Callable[[MockState, str], None]:
    def setup(state: MockState, org: str) -> None:
        state.variants = Variants.of(variants)
        state.behaviour = behaviour or Behaviour()
        seed(state, size=4000)
        data(state).lookups = lookups(state)
    return setup


def _with_data(count: int) -> Callable[[MockState], list[Lookup]]:
    def pick(state: MockState) -> list[Lookup]:
        years = sorted((p, y) for (p, y), a in data(state).answers.items() if a.get("trekkinformasjonPerMaaned"))
        chosen = [(EXAMPLE_PERSON, 2021)] + [k for k in years if k != (EXAMPLE_PERSON, 2021)]
        return chosen[:count]
    return pick


def _mixed(state: MockState) -> list[Lookup]:
    return [(EXAMPLE_PERSON, 2021), (NO_DATA_PERSON, 2021), (UNKNOWN_PERSON, 2021)]


def env(state: MockState, setting: Setting) -> dict[str, str]:
    lookups = data(state).lookups
    return {"SBS_LOOKUPS": ",".join(f"{p}:{y}" for p, y in lookups), "SBS_RETTIGHETSPAKKE": "ssb"}


SCENARIOS: dict[str, Scenario] = {s.name: s for s in (
    Scenario("tks-fetch", "Three persons with data for their year: the client stores every month",
             (*BASE, "TKS-SBS-AUTH-02"), _setup(_with_data(3)), env=env),
    Scenario("tks-no-data", "A person with data, one known without data for the year (404 TKL-007) and an unknown "
             "one (404 TKL-009)", (*BASE, "TKS-SBS-NODATA-01"), _setup(_mixed), env=env),
    Scenario("tks-unknown-fields", "Fields and elements the document does not know, in JSON and XML",
             (*BASE, "TKS-SBS-ROB-01"), _setup(_with_data(3), variants=("tks-extra-fields",)), env=env),
    Scenario("tks-many", "40 lookups with 0.05 s latency each: checks the client's concurrency and token reuse",
             (*BASE, "TKS-SBS-AUTH-02"), _setup(_with_data(40), behaviour=Behaviour(latency=0.05)), env=env),
    Scenario("tks-token-expiry", "Twelve lookups; the first token is refused (401) after four calls: it expires "
             "mid-run", (*BASE, "TKS-SBS-AUTH-03"),
             _setup(_with_data(12), behaviour=Behaviour.first_token_expires()), env=env),
)}


def truth(state: MockState, setting: Setting) -> tuple[dict[str, Any], int]:
    """(``person:year`` -> the months the client should hold, or None for "no data"; 0: no progress mark)."""
    d = data(state)
    out: dict[str, Any] = {}
    for person, year in d.lookups:
        answer = d.answers.get((person, year))
        out[f"{person}:{year}"] = None if answer is None else answer.get("trekkinformasjonPerMaaned") or []
    return out, 0
