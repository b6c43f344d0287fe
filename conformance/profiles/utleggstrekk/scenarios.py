"""The Utleggstrekk client-check scenarios: a consumer of the event list and the lookup.

The client gets ``SBS_BASE_URL`` (the event list), ``SBS_LOOKUP_URL``, ``SBS_RETTIGHETSPAKKE`` and
``SBS_START_DATO``. On its first poll it asks ``hendelser/start?dato=`` and reads from there; later polls resume
from its watermark + 1. For each new event it looks the identifier up for the event's period (a ``SLETTET``
event's lookup answers 410: the month is removed). It writes ``{"watermark": <last sekvensnummer read>,
"utleggstrekk": {"<identifikator>|<YYYY-MM>": {"opplysningspliktig": ..., "trekkbeloep": ...}}}``."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from typing import Any

from conformance.clientcheck.scenarios import Scenario, Setting
from conformance.mock.state import Behaviour, MockState
from conformance.mock.variants import Variants
from conformance.profiles.utleggstrekk import LOOKUP_MOUNT
from conformance.profiles.utleggstrekk.mock import data, persons, record, seed

START_DATO = "2023-06-01"
BASE = ("UTT-SBS-AUTH-01", "UTT-SBS-START-01", "UTT-SBS-HEND-01", "UTT-SBS-STATE-01", "UTT-SBS-OPS-01")


def _setup(variants: tuple[str, ...] = (), behaviour: Behaviour | None = None, size: int = 400
           ) -> Callable[[MockState, str], None]:
    def setup(state: MockState, org: str) -> None:
        state.variants = Variants.of(variants)
        state.behaviour = behaviour or Behaviour()
        seed(state, size=size)
    return setup


def _changes(state: MockState, poll: int, org: str) -> None:
    """Between polls: new months for some persons, a changed amount and a deleted month."""
    d = data(state)
    rng = random.Random(poll)
    when = dt.datetime(2024, 1, 10, 8, 0, tzinfo=dt.UTC) + dt.timedelta(days=poll)
    people = persons(6)
    for person in people[:3]:
        when += dt.timedelta(hours=1)
        record(d, person, "2024-01", when, rng, "NY")
    alive = [(p, m) for p, months in d.months.items() for m, v in months.items()
             if v is not None and START_DATO[:7] <= m < "2024"]  # months the client holds since its start
    for kind, (person, month) in zip(("ENDRET", "SLETTET"), alive[:2], strict=False):
        when += dt.timedelta(hours=1)
        record(d, person, month, when, rng, kind)


def env(state: MockState, setting: Setting) -> dict[str, str]:
    return {"SBS_RETTIGHETSPAKKE": "ssb", "SBS_START_DATO": START_DATO}


def served_env(state: MockState, origin: str) -> dict[str, str]:
    return {"SBS_LOOKUP_URL": origin + LOOKUP_MOUNT}


SCENARIOS: dict[str, Scenario] = {s.name: s for s in (
    Scenario("utt-first-sync", "From hendelser/start?dato: every event since the date read and looked up once",
             (*BASE, "UTT-SBS-AUTH-02", "UTT-SBS-LOOKUP-01"), _setup(), env=env),
    Scenario("utt-resume", "Two polls; new, changed and deleted months in between: resume from the watermark + 1",
             (*BASE, "UTT-SBS-LOOKUP-01", "UTT-SBS-DEL-01"), _setup(), polls=2, between=_changes, env=env),
    Scenario("utt-unknown-fields", "Fields the documents do not know in events and lookups",
             (*BASE, "UTT-SBS-ROB-01"), _setup(variants=("utt-extra-fields",)), env=env),
    Scenario("utt-slow", "0.05 s a call: shows the client's concurrency", (*BASE, "UTT-SBS-AUTH-02"),
             _setup(behaviour=Behaviour(latency=0.05), size=200), env=env),
    Scenario("utt-token-expiry", "The first token is refused (401) after four calls: it expires mid-run, in the "
             "event list or in the lookups", (*BASE, "UTT-SBS-AUTH-03"),
             _setup(behaviour=Behaviour.first_token_expires(), size=200), env=env),
)}


def truth(state: MockState, setting: Setting) -> tuple[dict[str, Any], int]:
    """(``held``: ``identifikator|month`` -> what the client should hold for the months with events from
    START_DATO on; ``deleted``: the months among them that were deleted), and the list's last sequence number."""
    d = data(state)
    start = d.events.start(dt.date.fromisoformat(START_DATO))
    named = {(e["identifikator"], e["gjelderPeriode"]) for e in d.events.events if e["sekvensnummer"] >= start}
    held, deleted = {}, []
    for person, month in sorted(named):
        value = d.months.get(person, {}).get(month)
        if value is None:
            deleted.append(f"{person}|{month}")
        else:
            held[f"{person}|{month}"] = {"opplysningspliktig": value["opplysningspliktig"],
                                        "trekkbeloep": value["trekkbeloep"]}
    return {"held": held, "deleted": deleted}, d.events.last
