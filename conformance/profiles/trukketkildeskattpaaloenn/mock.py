"""Trukket kildeskatt på lønn on the mock: persons with their months per income year, JSON by default and XML on
``Accept: application/xml`` (namespace :data:`NAMESPACE`), errors as the shared gate writes them (the ``feil``
element in XML).

Order of evaluation: the gate (401, 403, 406, 429), then the rettighetspakke (403), the input (400 TKL-006), then
the data (404 TKL-009 for an unknown person, TKL-007 for a known person without data for the year).
"""

from __future__ import annotations

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
from conformance.mock.gate import XML, Call, Gate, JSONResponse, Reject
from conformance.mock.state import MockState
from conformance.profiles.trukketkildeskattpaaloenn import NAMESPACE, PATH

RETTIGHETSPAKKER = frozenset({"ssb"})
EXAMPLE_PERSON = "07088730296"  # the page's JSON example (2021)
NO_DATA_PERSON = "03849120033"  # known, with data for 2022 only
UNKNOWN_PERSON = "09899530044"  # valid, synthetic, not known
INVALID_PERSON = "07088730297"  # the example's digits with a wrong control digit (the invalid-identifiers fault)
YEARS = (2020, 2021, 2022)

#: name -> (requirement it breaks, what the mock then does)
FAULTS: dict[str, tuple[str, str]] = {
    "tks-echo-other-year": ("TKS-GET-01", "answers with inntektsaar one year after the one asked for"),
    "tks-month-outside-year": ("TKS-GET-02", "lists a month of the next year as the last month"),
    "tks-xml-differs": ("TKS-XML-01", "the XML answer's first skattetrekk differs from the JSON answer's"),
    "tks-no-data-200": ("TKS-NODATA-01", "answers 200 with no months for a known person without data"),
    "tks-lenient-validation": ("TKS-VAL-01", "does not validate the input: a malformed value is matched loosely and "
                               "served"),
    "tks-any-rettighetspakke": ("TKS-RP-01", "serves any rettighetspakke"),
    "tks-invalid-identifiers": ("TKS-DATA-01", "holds data for a personidentifikator with a wrong control digit"),
}

#: name -> (what the run must show, what the mock then does, the assumption it differs from)
VARIANTS: dict[str, tuple[str, str, str | None]] = {
    "tks-months-only-with-pay": ("passes", "leaves out the months without pay (the page does not say)", None),
    "tks-extra-fields": ("passes", "adds fields the document does not know, in JSON and XML", None),
    "tks-rp-404": ("passes", "answers an unknown rettighetspakke with 404 instead of 403", None),
    "tks-months-descending": ("assumption", "lists the months in descending order", "A-TKS-ORDER"),
    "tks-year-as-text": ("assumption", 'writes inntektsaar as the text "2021"', "A-TKS-YEAR-NUMBER"),
}


@dataclass
class TksData:
    """(personidentifikator, inntektsaar) -> the answer; every person known to the register."""

    answers: dict[tuple[str, int], dict[str, Any]] = field(default_factory=dict)
    known: set[str] = field(default_factory=set)
    lookups: list[tuple[str, int]] = field(default_factory=list)  # a client-check scenario's lookups

    def add(self, answer: dict[str, Any]) -> None:
        self.answers[(answer["personidentifikator"], int(answer["inntektsaar"]))] = answer
        self.known.add(answer["personidentifikator"])


def data(state: MockState) -> TksData:
    return state.data.setdefault("trukketkildeskattpaaloenn", TksData())


def months(year: int, rng: random.Random, only_with_pay: bool = False) -> list[dict[str, Any]]:
    """Twelve plausible months: pay between 15 000 and 70 000, the flat 25 % kildeskatt withheld."""
    out = []
    for month in range(1, 13):
        pay = 0 if rng.random() < 0.15 else rng.randrange(15_000, 70_000)
        if only_with_pay and pay == 0:
            continue
        out.append({"maaned": f"{year}-{month:02d}", "grunnlagForSkattetrekk": pay, "skattetrekk": pay // 4,
                    "samletRapportertLoennsinntekt": pay})
    return out


def published_examples() -> list[dict[str, Any]]:
    from importlib.resources import files

    text = files("conformance.profiles.trukketkildeskattpaaloenn").joinpath("examples.json").read_text("utf-8")
    return json.loads(text)["answers"]


def seed(state: MockState, *, size: int = 2000, seed: int = 1, orgs: list[str] | None = None) -> None:
    """The page's two examples (2021), a person known for 2022 only, and ``size // 100`` generated persons with
    2020..2022 (deterministic)."""
    d = data(state)
    rng = random.Random(seed)
    for answer in published_examples():
        d.add(answer)
    d.add({"personidentifikator": NO_DATA_PERSON, "inntektsaar": 2022, "skjermet": False,
           "trekkinformasjonPerMaaned": months(2022, rng)})
    for i in range(max(3, size // 100)):
        person = first_fnr(1 + i % 28, 1 + (i // 28) % 12 + 80, 60 + i % 40, 100 + i % 300)
        if person is None or person in d.known:
            continue
        for year in YEARS:
            d.add({"personidentifikator": person, "inntektsaar": year, "skjermet": i % 17 == 0,
                   "trekkinformasjonPerMaaned": [] if i % 17 == 0 else months(year, rng)})
    if state.faults.on("tks-invalid-identifiers"):
        example = d.answers[(EXAMPLE_PERSON, 2021)]
        d.add({**example, "personidentifikator": INVALID_PERSON})


def default_params(settings: Any) -> dict[str, str]:
    """The embedded mock's inputs (its data decides them; a fault may change which person is looked up)."""
    person = INVALID_PERSON if "tks-invalid-identifiers" in settings.mock_fault else EXAMPLE_PERSON
    return {"personidentifikator": person, "inntektsaar": "2021", "person_uten_data": NO_DATA_PERSON,
            "ukjent_person": UNKNOWN_PERSON}


def describe(state: MockState) -> list[str]:
    d = data(state)
    return [f"{len(d.known)} persons, {len(d.answers)} person-years (e.g. {EXAMPLE_PERSON} 2021; "
            f"{NO_DATA_PERSON} has no data for 2021)"]


def to_xml(answer: dict[str, Any], extra: bool = False) -> bytes:
    """The answer as the page's XML example has it: each month a repeated element, no wrapping list."""
    root = etree.Element(f"{{{NAMESPACE}}}trukketKildeskattPaaLoenn", nsmap={None: NAMESPACE})

    def leaf(parent: Any, name: str, value: Any) -> None:
        text = ("true" if value else "false") if isinstance(value, bool) else str(value)
        etree.SubElement(parent, f"{{{NAMESPACE}}}{name}").text = text

    for name in ("personidentifikator", "inntektsaar", "skjermet"):
        leaf(root, name, answer[name])
    for month in answer.get("trekkinformasjonPerMaaned") or []:
        element = etree.SubElement(root, f"{{{NAMESPACE}}}trekkinformasjonPerMaaned")
        for name, value in month.items():
            if not isinstance(value, dict):
                leaf(element, name, value)
    for name, value in answer.items():
        if extra and name not in ("personidentifikator", "inntektsaar", "skjermet", "trekkinformasjonPerMaaned"):
            leaf(root, name, value)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def routes(gate: Gate) -> list[Route]:
    state, faults, variants = gate.state, gate.faults, gate.variants
    d = data(state)

    def present(answer: dict[str, Any]) -> dict[str, Any]:
        answer = json.loads(json.dumps(answer))  # a copy: the faults and variants change what is shown
        shown = answer.get("trekkinformasjonPerMaaned") or []
        if variants.on("tks-months-only-with-pay"):
            shown = [m for m in shown if m["grunnlagForSkattetrekk"] > 0]
        if variants.on("tks-months-descending"):
            shown = list(reversed(shown))
        if faults.on("tks-month-outside-year") and shown:
            shown[-1] = {**shown[-1], "maaned": f"{int(answer['inntektsaar']) + 1}-01"}
        if variants.on("tks-extra-fields"):
            answer["kildesystem"] = "a-ordningen"
            shown = [{**m, "antallArbeidsforhold": 1} for m in shown]
        answer["trekkinformasjonPerMaaned"] = shown
        if faults.on("tks-echo-other-year"):
            answer["inntektsaar"] = int(answer["inntektsaar"]) + 1
        if variants.on("tks-year-as-text"):
            answer["inntektsaar"] = str(answer["inntektsaar"])
        return answer

    def lookup(request: Request, call: Call) -> Response:
        p = request.path_params
        package, year, person = p["rettighetspakke"], p["inntektsaar"], p["personidentifikator"]
        if package not in RETTIGHETSPAKKER and not faults.on("tks-any-rettighetspakke"):
            raise Reject(404, ec.UNKNOWN_URL) if variants.on("tks-rp-404") else Reject(403, ec.AUTHORISATION)
        valid = len(person) == 11 and person.isdigit() and len(year) == 4 and year.isdigit()
        if not valid:
            if not faults.on("tks-lenient-validation"):
                raise Reject(400, ec.VALIDATION)
            loose = next((a for (p_, _), a in d.answers.items() if p_.startswith(person[:10])), None)
            if loose is not None:  # "0708873029" or "0708873029A" finds 07088730296; a bad year its first year
                return JSONResponse(present(loose))
        if person not in d.known:
            raise Reject(404, ec.NOT_FOUND)
        answer = d.answers.get((person, int(year))) if year.isdigit() else None
        if answer is None:
            if not faults.on("tks-no-data-200"):
                raise Reject(404, ec.NO_DATA)
            answer = {"personidentifikator": person, "inntektsaar": int(year), "skjermet": False,
                      "trekkinformasjonPerMaaned": []}
        shown = present(answer)
        if call.media == XML:
            if faults.on("tks-xml-differs") and shown["trekkinformasjonPerMaaned"]:
                first = shown["trekkinformasjonPerMaaned"][0]
                first["skattetrekk"] = int(first["skattetrekk"]) + 1
            return Response(to_xml(shown, extra=variants.on("tks-extra-fields")), media_type=XML)
        return JSONResponse(shown)

    return [gate.route(PATH, lookup)]
