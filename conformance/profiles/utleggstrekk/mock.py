"""Utleggstrekk on the mock: the event list at ``/utleggstrekkhendelser/v1`` (the shared
:mod:`conformance.mock.eventlist`, FA- codes) and the lookup at ``/utleggstrekk/v1/{rettighetspakke}/
{identifikator}?fraOgMed=YYYY-MM&tilOgMed=YYYY-MM`` (OAF- codes), both behind the gate with the scope
``skatteetaten:utleggstrekk``.

The data: persons with utleggstrekk reported per month (employer, amount); every change is an event (``NY`` when a
month first appears, ``ENDRET`` when its amount changes, ``SLETTET`` when it is deleted: the lookup then answers
410 for that month). Sequence numbers have gaps.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from dataclasses import dataclass, field
from typing import Any

from lxml import etree
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from conformance import errorcodes as ec
from conformance.identifiers import first_fnr
from conformance.mock import eventlist
from conformance.mock.gate import XML, Call, Gate, JSONResponse, Reject
from conformance.mock.state import MockState
from conformance.profiles.utleggstrekk import LOOKUP_MOUNT, LOOKUP_PATH, NAMESPACE
from conformance.profiles.utleggstrekk.common import DELETED, UTLEGGSTREKK

RETTIGHETSPAKKER = frozenset({"ssb"})
EMPLOYERS = ("310702641", "313367002", "314961900")

#: name -> (requirement it breaks, what the mock then does)
FAULTS: dict[str, tuple[str, str]] = {
    "utt-event-without-identifikator": ("UTT-HEND-01", "the first event of a page has no identifikator"),
    "utt-exclusive-fra": ("UTT-HEND-02", "fraSekvensnummer is exclusive: the event it names is left out"),
    "utt-start-late": ("UTT-HEND-03", "start?dato answers the sequence number of the second event of that date"),
    "utt-lenient-params": ("UTT-HEND-04", "antall=0, negative or non-numeric values and a malformed dato get 200"),
    "utt-xml-differs": ("UTT-HEND-05", "the XML list names another identifikator in its first event"),
    "utt-lookup-other-person": ("UTT-LOOKUP-01", "the lookup answers with another identifikator"),
    "utt-deleted-200": ("UTT-LOOKUP-02", "a deleted month's lookup answers 200 with the old data"),
    "utt-unknown-200": ("UTT-LOOKUP-03", "an identifier without data gets 200 with an empty list"),
}

#: name -> (what the run must show, what the mock then does, the assumption it differs from)
VARIANTS: dict[str, tuple[str, str, str | None]] = {
    "utt-past-end-404": ("passes", "past the end of the list: 404 FA-005 instead of an empty list", None),
    "utt-extra-fields": ("passes", "fields the documents do not know, in events and lookups", None),
}


@dataclass
class UttData:
    events: eventlist.EventStore = field(default_factory=eventlist.EventStore)
    # identifikator -> kalendermaaned -> the month's utleggstrekk (None: deleted)
    months: dict[str, dict[str, dict[str, Any] | None]] = field(default_factory=dict)


def data(state: MockState) -> UttData:
    return state.data.setdefault("utleggstrekk", UttData())


def persons(count: int) -> list[str]:
    out = []
    for i in range(count * 2):
        person = first_fnr(1 + i % 28, 1 + (i // 28) % 12 + 80, 70 + i % 25, 200 + i % 250)
        if person and person not in out:
            out.append(person)
        if len(out) == count:
            break
    return out


def record(d: UttData, person: str, month: str, when: dt.datetime, rng: random.Random, kind: str) -> None:
    """A change of a person's month and its event."""
    if kind == "SLETTET":
        d.months.setdefault(person, {})[month] = None
    else:
        d.months.setdefault(person, {})[month] = {
            "kalendermaaned": month, "opplysningspliktig": rng.choice(EMPLOYERS),
            "trekkbeloep": float(rng.randrange(5, 120) * 100), "trekktype": "utleggstrekk"}
    d.events.add(person, month, when, kind, gap=rng.randrange(1, 12))


def seed(state: MockState, *, size: int = 2000, seed: int = 1, orgs: list[str] | None = None) -> None:
    """``max(20, size // 20)`` persons with 2023's months; each month's events registered from the 5th of that
    month (the a-melding's deadline), some changed and some deleted later (deterministic)."""
    d = data(state)
    rng = random.Random(seed)
    people = persons(max(20, size // 20))
    for month in range(1, 13):
        when = dt.datetime(2023, month, 5, 8, 0, tzinfo=dt.UTC)
        for person in people:
            if rng.random() < 0.3:
                continue
            when += dt.timedelta(minutes=rng.randrange(10, 90))
            record(d, person, f"2023-{month:02d}", when, rng, "NY")
        for person in people[:: max(1, len(people) // 4)]:
            existing = [m for m, v in d.months.get(person, {}).items() if v is not None]
            if existing:
                when += dt.timedelta(hours=3)
                record(d, person, existing[-1], when, rng, rng.choice(("ENDRET", "ENDRET", "SLETTET")))


def default_params(settings: Any) -> dict[str, str]:
    return {"start_dato": "2023-06-01"}


def describe(state: MockState) -> list[str]:
    d = data(state)
    deleted = sum(1 for e in d.events.events if e["hendelsetype"] == "SLETTET")
    return [f"{len(d.events.events)} events (sekvensnummer 1..{d.events.last}, with gaps; {deleted} SLETTET), "
            f"{len(d.months)} persons; lookup at {state.origin}{LOOKUP_MOUNT}{LOOKUP_PATH}"]


def _lookup_xml(body: dict[str, Any]) -> bytes:
    root = etree.Element(f"{{{NAMESPACE}}}utleggstrekk", nsmap={None: NAMESPACE})
    etree.SubElement(root, f"{{{NAMESPACE}}}identifikator").text = body["identifikator"]
    for month in body["utleggstrekkPerMaaned"]:
        element = etree.SubElement(root, f"{{{NAMESPACE}}}utleggstrekkPerMaaned")
        for name, value in month.items():
            etree.SubElement(element, f"{{{NAMESPACE}}}{name}").text = str(value)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def routes(gate: Gate) -> list[Route]:
    state, faults, variants = gate.state, gate.faults, gate.variants
    d = data(state)
    extra = variants.on("utt-extra-fields")

    def present(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if faults.on("utt-event-without-identifikator") and events:
            events[0] = {k: v for k, v in events[0].items() if k != "identifikator"}
        return [{**e, "kilde": "a-ordningen"} for e in events] if extra else events

    def xml_present(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if faults.on("utt-xml-differs") and events:
            events[0] = {**events[0], "identifikator": "00000000000"}
        return [{**e, "kilde": "a-ordningen"} for e in events] if extra else events

    behaviour = eventlist.EventListBehaviour(
        inclusive=lambda: not faults.on("utt-exclusive-fra"), validate=lambda: not faults.on("utt-lenient-params"),
        past_end_404=lambda: variants.on("utt-past-end-404"), start_shift=lambda: 1 if faults.on(
            "utt-start-late") else 0, present=present, xml_present=xml_present)
    lookup_gate = Gate(state, gate.profile, root=LOOKUP_MOUNT, table=UTLEGGSTREKK)

    def lookup(request: Request, call: Call) -> Response:
        p, q = request.path_params, request.query_params
        if p["rettighetspakke"] not in RETTIGHETSPAKKER:
            raise Reject(403, ec.AUTHORISATION)
        person = p["identifikator"]
        fra, til = q.get("fraOgMed", "0000-00"), q.get("tilOgMed", "9999-99")
        if not (len(person) in (9, 11) and person.isdigit()) or not all(
                len(v) == 7 and v[4] == "-" for v in (fra, til)):
            raise Reject(400, ec.VALIDATION)
        months = {m: v for m, v in d.months.get(person, {}).items() if fra <= m <= til}
        if months and all(v is None for v in months.values()) and not faults.on("utt-deleted-200"):
            raise Reject(410, DELETED)
        shown = [json.loads(json.dumps(v)) for v in months.values() if v is not None]
        if faults.on("utt-deleted-200"):
            shown += [{"kalendermaaned": m, "opplysningspliktig": EMPLOYERS[0], "trekkbeloep": 100.0,
                       "trekktype": "utleggstrekk"} for m, v in months.items() if v is None]
        if not shown and not faults.on("utt-unknown-200"):
            raise Reject(404, ec.NO_DATA)
        if extra:
            shown = [{**m, "kilde": "a-ordningen"} for m in shown]
        body = {"identifikator": "00000000000" if faults.on("utt-lookup-other-person") else person,
                "utleggstrekkPerMaaned": shown}
        if call.media == XML:
            return Response(_lookup_xml(body), media_type=XML)
        return JSONResponse(body)

    return [*eventlist.routes(gate, lambda: d.events, behaviour), lookup_gate.route(LOOKUP_PATH, lookup),
            lookup_gate.catch_all()]
