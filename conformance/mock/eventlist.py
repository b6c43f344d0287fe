"""An event list (hendelseliste) on the mock, for any profile that has one: an event store and its routes.

Events are thin: ``sekvensnummer`` (increasing, with gaps), ``identifikator``, ``gjelderPeriode``,
``registreringstidspunkt`` and ``hendelsetype`` (``NY``, ``ENDRET``, ``SLETTET``). ``GET {root}/hendelser`` (and
``/hendelser/``) pages with an inclusive ``fraSekvensnummer`` and ``antall``; ``GET {root}/hendelser/start?dato=``
gives the first sequence number registered on or after the date. JSON, or XML in
``urn:no:skatteetaten:datasamarbeid:hendelser:v1``; errors from the list's own table (``FA-``, through the gate).
Source: Skatteetaten "Hendelser" (docs/api/hendelser.md), hendelser.xsd.
"""

from __future__ import annotations

import bisect
import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from lxml import etree
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from conformance import errorcodes as ec
from conformance.mock.gate import XML, Call, Gate, JSONResponse, Reject, notes

NAMESPACE = "urn:no:skatteetaten:datasamarbeid:hendelser:v1"
TYPES = ("NY", "ENDRET", "SLETTET")
FIELDS = ("sekvensnummer", "identifikator", "gjelderPeriode", "registreringstidspunkt", "hendelsetype")  # XSD order
MAX_ANTALL = 10_000  # undocumented; a larger page is a 400 (A-*-PAGE-LIMIT in a profile's register, if any)
_INT = re.compile(r"^[0-9]{1,18}$")


@dataclass
class EventStore:
    """The events in sequence order (sekvensnummer strictly increasing)."""

    events: list[dict[str, Any]] = field(default_factory=list)
    _seqs: list[int] = field(default_factory=list)

    def add(self, identifikator: str, periode: str, when: dt.datetime, kind: str = "NY", gap: int = 1
            ) -> dict[str, Any]:
        seq = (self._seqs[-1] if self._seqs else 0) + max(1, gap)
        event = {"sekvensnummer": seq, "identifikator": identifikator, "gjelderPeriode": periode,
                 "registreringstidspunkt": when.astimezone(dt.UTC).isoformat(timespec="seconds").replace(
                     "+00:00", "Z"), "hendelsetype": kind}
        self.events.append(event)
        self._seqs.append(seq)
        return event

    def page(self, fra: int, antall: int) -> list[dict[str, Any]]:
        """The events from ``fra`` (inclusive), at most ``antall``."""
        i = bisect.bisect_left(self._seqs, fra)
        return self.events[i:i + antall]

    def start(self, day: dt.date) -> int:
        """The first sequence number registered on or after ``day`` (past the last when there is none)."""
        for event in self.events:
            if event["registreringstidspunkt"][:10] >= day.isoformat():
                return int(event["sekvensnummer"])
        return (self._seqs[-1] if self._seqs else 0) + 1

    @property
    def last(self) -> int:
        return self._seqs[-1] if self._seqs else 0


def to_xml(events: list[dict[str, Any]]) -> bytes:
    """``<hendelser>`` with a ``<hendelse>`` per event, its children in the XSD's order."""
    root = etree.Element(f"{{{NAMESPACE}}}hendelser", nsmap={None: NAMESPACE})
    for event in events:
        element = etree.SubElement(root, f"{{{NAMESPACE}}}hendelse")
        for name in FIELDS:
            if event.get(name) is not None:
                etree.SubElement(element, f"{{{NAMESPACE}}}{name}").text = str(event[name])
        for name, value in event.items():  # fields the XSD does not have (a variant), after the known ones
            if name not in FIELDS and value is not None:
                etree.SubElement(element, f"{{{NAMESPACE}}}{name}").text = str(value)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


@dataclass(frozen=True)
class EventListBehaviour:
    """How a profile's list may differ (its faults and variants decide): each a callable of the mock state."""

    inclusive: Callable[[], bool] = lambda: True
    validate: Callable[[], bool] = lambda: True
    past_end_404: Callable[[], bool] = lambda: False
    start_shift: Callable[[], int] = lambda: 0  # start?dato answers this many events later
    present: Callable[[list[dict[str, Any]]], list[dict[str, Any]]] = lambda events: events  # the JSON page's
    xml_present: Callable[[list[dict[str, Any]]], list[dict[str, Any]]] = lambda events: events  # the XML page's


def routes(gate: Gate, store: Callable[[], EventStore], behaviour: EventListBehaviour | None = None) -> list[Route]:
    """``/hendelser``, ``/hendelser/`` and ``/hendelser/start`` under the gate's root."""
    how = behaviour or EventListBehaviour()

    def number(value: str | None, minimum: int) -> int | None:
        if value is None or not _INT.match(value):
            return None
        n = int(value)
        return n if n >= minimum else None

    def page(request: Request, call: Call) -> Response:
        q = request.query_params
        fra, antall = number(q.get("fraSekvensnummer"), 1), number(q.get("antall"), 1)
        if fra is None or antall is None or antall > MAX_ANTALL:
            if how.validate():
                raise Reject(400, ec.VALIDATION)
            fra, antall = fra or 1, min(antall or 1, MAX_ANTALL)
        events = store().page(fra if how.inclusive() else fra + 1, antall)
        if gate.state.traffic is not None:  # recording (client-check): what the page held, for the judges
            notes(request).update({"count": len(events), "last_seq": events[-1]["sekvensnummer"] if events else None,
                                   "named": [f"{e['identifikator']}|{e.get('gjelderPeriode') or ''}"
                                             for e in events]})
        if not events and how.past_end_404():
            raise Reject(404, ec.NO_DATA)
        if call.media == XML:
            return Response(to_xml(how.xml_present([dict(e) for e in events])), media_type=XML)
        return JSONResponse({"hendelser": how.present([dict(e) for e in events])})

    def start(request: Request, call: Call) -> Response:
        value = request.query_params.get("dato")
        try:
            day = dt.date.fromisoformat(value) if value and len(value) == 10 else None
        except ValueError:
            day = None
        if day is None:
            raise Reject(400, ec.VALIDATION)
        seq = store().start(day)
        shift = how.start_shift()
        if shift:
            later = [int(e["sekvensnummer"]) for e in store().page(seq, shift + 1)]
            seq = later[-1] if later else seq
        notes(request)["start"] = seq
        if call.media == XML:
            root = etree.Element(f"{{{NAMESPACE}}}startsekvensnummer", nsmap={None: NAMESPACE})
            etree.SubElement(root, f"{{{NAMESPACE}}}sekvensnummer").text = str(seq)
            return Response(etree.tostring(root, xml_declaration=True, encoding="UTF-8"), media_type=XML)
        return JSONResponse({"sekvensnummer": seq})

    return [gate.route("/hendelser/start", start), gate.route("/hendelser", page), gate.route("/hendelser/", page)]
