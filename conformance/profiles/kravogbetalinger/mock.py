"""Krav og betalinger on the mock: parties with claims (with instalments, KID and account), payments (placed and
unplaced) and payouts, the open-claims overview computed from the claims (:mod:`.rules`, never stored), JSON by
default and XML on ``Accept: application/xml``; both path forms (``/v1/...`` on the new host, the old gateway's
``/api/innkreving/kravogbetalinger/v1/...``).

Order of evaluation: the gate (401, 403 scope or system user's right, 406, 429), then the rettighetspakke (404
KB-003), the party and period (400 KB-006), an unknown party (404 KB-009, A-KOB-UNKNOWN-PARTY), access (403 KB-005:
``regnskapssystem`` needs a system user token for the party itself, ``finans`` the party's consent, in the token or
in the ``AltinnSamtykke`` header), then the data (404 KB-007 for a period without any).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import random
import time
import uuid
from dataclasses import dataclass, field
from importlib.resources import files
from typing import Any

from lxml import etree
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from conformance import errorcodes as ec
from conformance.identifiers import first_fnr, fnr_ok, orgnr_ok
from conformance.maskinporten.grant import CONSENT_HEADER, consent_party
from conformance.maskinporten.tokens import systemuser_id
from conformance.mock import altinn
from conformance.mock.gate import XML, Call, Gate, JSONResponse, Reject, notes
from conformance.mock.state import MOCK_ORG, MockState
from conformance.profiles.kravogbetalinger import CONSENT_RESOURCE, NAMESPACE, OLD_GATEWAY_ROOT
from conformance.profiles.kravogbetalinger.rules import (
    LIST_FIELD,
    in_period,
    one_year_before,
    overview,
    parse_date,
    period_problem,
)

RETTIGHETSPAKKER = ("regnskapssystem", "finans")
EXAMPLE_PARTY = "212201782"  # the page's examples
PART = "311851381"  # generated, with data in 2022..2024 (the mock's default lookup)
PART_UTEN_DATA = "314055403"  # generated, with data in 2021 only
UNKNOWN_PARTY = "999999999"  # valid, not known
PERSON_PARTY = first_fnr(12, 85, 80, 300) or ""  # a synthetic fødselsnummer (finans covers persons "later")
PARTIES = (PART, "313367002", "314961900", PART_UTEN_DATA, EXAMPLE_PARTY, MOCK_ORG, PERSON_PARTY)
SKATTEETATEN_KONTO = {"bankinformasjon": "Nordea Bank Norge ASA, Postboks 1166 Sentrum, 0107 Oslo, Norge",
                      "kontonummer": "63450624804", "iban": "NO4263450624804", "swiftBIC": "NDEANOKK"}
GROUPS = {"Skatt": "RESTSKATT", "Merverdiavgift": "MVA", "Arbeidsgiveravgift": "ARBGAVG",
          "Forskuddstrekk": "FORSKTREKK"}
ROOTS = {"aapnekrav": "aapneKrav", "krav": "kravListe", "innbetalinger": "innbetalinger",
         "utbetalinger": "utbetalinger"}

#: name -> (requirement it breaks, what the mock then does)
FAULTS: dict[str, tuple[str, str]] = {
    "kob-aapne-other-party": ("KOB-AAPNE-01", "aapnekrav answers with another partIdentifikator"),
    "kob-totals-wrong": ("KOB-AAPNE-02", "totalOversikt.saldo is 100 more than the claims give"),
    "kob-krav-period-echo": ("KOB-KRAV-01", "krav echoes tilOgMed one day later than asked"),
    "kob-innbetaling-outside": ("KOB-INN-01", "innbetalinger lists a payment from the day before the period"),
    "kob-utbetaling-outside": ("KOB-UTB-01", "utbetalinger lists a payout from the day after the period"),
    "kob-lenient-period": ("KOB-PERIOD-01", "accepts any period: longer than a year, reversed, malformed"),
    "kob-unknown-party-007": ("KOB-NODATA-01", "an unknown party gets 404 KB-007 instead of KB-009"),
    "kob-consent-ignored": ("KOB-CONSENT-01", "finans serves without a valid consent"),
    "kob-su-bare-403": ("KOB-SU-01", "regnskapssystem refuses another party with a bare 403 (no error body)"),
    "kob-xml-differs": ("KOB-XML-01", "the XML answer's first claim has another gjenstaaendeBeloep than JSON"),
    "kob-invalid-identifiers": ("KOB-DATA-01", "a KID with a wrong check digit"),
}

#: name -> (what the run must show, what the mock then does, the assumption it differs from)
VARIANTS: dict[str, tuple[str, str, str | None]] = {
    "kob-extra-fields": ("passes", "adds fields the document does not know, in JSON and XML", None),
    "kob-optional-absent": ("passes", "leaves out optional fields (fastsettingsmaate, kidnummer, plassert*)", None),
    "kob-empty-200": ("assumption", "a period without data gets 200 with empty lists, not 404 KB-007",
                      "A-KOB-NODATA-404"),
    "kob-pilot-any-party": ("assumption", "regnskapssystem may read any party, as the test environment allows",
                            "A-KOB-PILOT-OWN-ONLY"),
}


@dataclass
class Party:
    krav: list[dict[str, Any]] = field(default_factory=list)
    innbetalinger: list[dict[str, Any]] = field(default_factory=list)
    utbetalinger: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class KobData:
    parties: dict[str, Party] = field(default_factory=dict)
    consents: dict[str, str] = field(default_factory=dict)  # party -> the id of its consent to the mock's vendor
    task: Any = None  # a client-check scenario's task (scenarios.Task)
    client_party: str | None = None  # ... and the party its client reads


def data(state: MockState) -> KobData:
    return state.data.setdefault("kravogbetalinger", KobData())


def _luhn_kid(number: int) -> str:
    from stdnum import luhn

    body = f"{number:014d}"
    return body + luhn.calc_check_digit(body)


def _flerspraak(text: str) -> dict[str, Any]:
    return {"spraakTekst": [{"tekst": text, "spraak": "nb"}]}


def generate(party: str, years: tuple[int, ...], rng: random.Random, *, wrong_kid: bool = False) -> Party:
    """Claims of each year with one or two instalments, partly paid; a payment per paid instalment, an unplaced
    payment a year, and a payout a year. Deterministic for one ``rng`` seed."""
    out = Party()
    serial = 0
    for year in years:
        for _ in range(rng.randrange(3, 7)):
            serial += 1
            group = rng.choice(sorted(GROUPS))
            created = dt.date(year, rng.randrange(1, 12), rng.randrange(1, 28))
            amount = float(rng.randrange(10, 900) * 100)
            instalments = []
            count = rng.choice((1, 1, 2))
            first = round(amount / count, 2)
            for k, share in enumerate((first, round(amount - first, 2))[:count]):
                due = created + dt.timedelta(days=21 + 30 * k)
                paid = rng.choice((0.0, share, round(share / 2, 2)))
                kid = _luhn_kid(int(party) * 100 + serial * 3 + k)
                if wrong_kid and serial == 1 and k == 0:
                    kid = kid[:-1] + str((int(kid[-1]) + 1) % 10)
                instalment: dict[str, Any] = {
                    "kravforfallsIdentifikator": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{party}/{serial}/{k}")),
                    "forfallsdato": due.isoformat(), "opprinneligBeloep": share,
                    "gjenstaaendeBeloep": round(share - paid, 2),
                    "betalingsinformasjon": {"kidnummer": kid, "konto": dict(SKATTEETATEN_KONTO)}}
                if paid:
                    payment_id = f"inn-{party}-{serial}-{k}"
                    paid_on = due - dt.timedelta(days=rng.randrange(0, 10))
                    instalment["plassertInnbetaling"] = [{
                        "innbetalingsIdentifikator": payment_id, "plassertBeloep": paid,
                        "plassertDato": (paid_on + dt.timedelta(days=2)).isoformat(),
                        "innbetalingsdato": paid_on.isoformat(), "innbetaltBeloep": paid,
                        "innbetaltFra": {"kidnummer": kid, "konto": {}}, "innbetalingstype": "Bankoverføring"}]
                    out.innbetalinger.append({
                        "partIdentifikator": party, "innbetalingsidentifikator": payment_id,
                        "innbetalingsdato": paid_on.isoformat(), "innbetaltBeloep": paid, "uplassertBeloep": 0.0,
                        "mottakersKontonummer": {"kontonummer": SKATTEETATEN_KONTO["kontonummer"]},
                        "innbetaltFra": {"konto": {"kontoeiersNavn": "Regnskap AS", "kontonummer": "******43210"}},
                        "innbetalingstype": "Bankoverføring"})
                instalments.append(instalment)
            remaining = round(sum(i["gjenstaaendeBeloep"] for i in instalments), 2)
            out.krav.append({
                "partIdentifikator": party, "kravidentifikator": f"KRAV-{int(party) % 100000:05d}{serial:03d}",
                "kravtype": GROUPS[group], "opprinneligBeloep": amount, "gjenstaaendeBeloep": remaining,
                "stipulerteRenter": round(remaining * 0.01, 2) if remaining else 0.0,
                "kravbeskrivelse": _flerspraak(group), "kravperiode": {
                    "periodeBeskrivelse": _flerspraak(f"{year}/{created.month:02d}"), "aar": str(year)},
                "opprettelsesdatoForKrav": created.isoformat(), "kravgruppe": group,
                "fastsettingsmaate": rng.choice(("egenfastsatt", "myndighetsfastsatt")), "kravforfall": instalments})
        unplaced_on = dt.date(year, rng.randrange(1, 12), rng.randrange(1, 28))
        out.innbetalinger.append({
            "partIdentifikator": party, "innbetalingsidentifikator": f"inn-{party}-{year}-u",
            "innbetalingsdato": unplaced_on.isoformat(), "innbetaltBeloep": 500.0, "uplassertBeloep": 500.0,
            "mottakersKontonummer": {"kontonummer": SKATTEETATEN_KONTO["kontonummer"]},
            "innbetaltFra": {"konto": {"kontoeiersNavn": "Regnskap AS", "kontonummer": "******43210"}},
            "innbetalingstype": "Bankoverføring"})
        paid_out = dt.date(year, rng.randrange(1, 12), rng.randrange(1, 28))
        out.utbetalinger.append({
            "partIdentifikator": party, "utbetalingsidentifikator": f"utb-{party}-{year}",
            "utbetaltdato": paid_out.isoformat(), "utbetaltBeloep": 1200.0,
            "betaltTil": {"meldingSendtTilMottaker": "Tilbakebetaling", "konto": {
                "kontoeiersNavn": "Regnskap AS", "kontonummer": "******43210"}, "valutakode": "NOK"},
            "grunnlagForUtbetaling": {"kreditKrav": [{
                "kravforfallidentifikator": f"kred-{party}-{year}", "opprinneligBeloep": -1200.0,
                "gjenstaaendeBeloep": 0.0, "utbetaltBeloep": 1200.0, "kravbeskrivelse": _flerspraak("Kreditkrav"),
                "kravtype": "FORS.RENTE.KREDIT", "kravperiode": {"periodeBeskrivelse": _flerspraak(str(year))}}]},
            "utbetalingstatus": "bekreftet"})
    for items, key in ((out.krav, "opprettelsesdatoForKrav"), (out.innbetalinger, "innbetalingsdato"),
                       (out.utbetalinger, "utbetaltdato")):
        items.sort(key=lambda i, k=key: i[k])
    return out


def published_examples() -> Party:
    text = files("conformance.profiles.kravogbetalinger").joinpath("examples.json").read_text("utf-8")
    examples = json.loads(text)
    return Party(krav=examples["krav"]["krav"], innbetalinger=examples["aapnekrav"]["innbetalingMedUplassertBeloep"])


def consent_id(party: str) -> str:
    """The id of the consent the mock holds from ``party`` to its vendor (deterministic, so it can be a default)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"sbs-conformance/samtykke/{party}"))


def seed(state: MockState, *, size: int = 2000, seed: int = 1, orgs: list[str] | None = None) -> None:
    """The page's examples for 212201782, generated data for the other test businesses (2022..2024; 314055403
    only 2021), and a consent from each party to the mock's vendor."""
    d = data(state)
    d.parties[EXAMPLE_PARTY] = published_examples()
    for party in PARTIES:
        if party == EXAMPLE_PARTY:
            continue
        years = (2021,) if party == PART_UTEN_DATA else (2022, 2023, 2024)
        d.parties[party] = generate(party, years, random.Random(f"{seed}/{party}"),
                                    wrong_kid=state.faults.on("kob-invalid-identifiers") and party == PART)
    for party in d.parties:
        register_consent(state, party)


def register_consent(state: MockState, party: str, to_org: str = MOCK_ORG) -> str:
    consent = state.maskinporten.add_consent(party, to_org, CONSENT_RESOURCE, consent_id=consent_id(party))
    data(state).consents[party] = consent.id
    return consent.id


def customers(state: MockState, main_org: str) -> list[str]:
    """The parties whose system users the mock's vendor holds (regnskapssystem reads a party as its system user)."""
    return [p for p in data(state).parties if p != main_org and orgnr_ok(p)]  # system users are for organisations


def default_params(settings: Any) -> dict[str, str]:
    return {"part": PART, "part_uten_data": PART_UTEN_DATA, "fra_og_med": "2023-01-01", "til_og_med": "2023-12-31",
            "samtykke": consent_id(PART), "samtykke_uten_data": consent_id(PART_UTEN_DATA),
            "ukjent_part": UNKNOWN_PARTY}


def describe(state: MockState) -> list[str]:
    d = data(state)
    return [f"{len(d.parties)} parties (e.g. {PART} with claims 2022-2024; {PART_UTEN_DATA} only 2021; "
            f"examples {EXAMPLE_PARTY})", f"consents (samtykke) from every party: e.g. {PART} {consent_id(PART)}"]


def to_xml(root_name: str, value: dict[str, Any]) -> bytes:
    """An answer as XML: objects as elements, a list as repeated elements named by its property."""
    def fill(parent: Any, name: str, item: Any) -> None:
        if isinstance(item, list):
            for each in item:
                fill(parent, name, each)
            return
        element = etree.SubElement(parent, f"{{{NAMESPACE}}}{name}")
        if isinstance(item, dict):
            for k, v in item.items():
                fill(element, k, v)
        elif isinstance(item, bool):
            element.text = "true" if item else "false"
        elif item is not None:
            element.text = str(item)

    root = etree.Element(f"{{{NAMESPACE}}}{root_name}", nsmap={None: NAMESPACE})
    for k, v in value.items():
        fill(root, k, v)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _strip_optional(item: Any) -> Any:
    if isinstance(item, dict):
        return {k: _strip_optional(v) for k, v in item.items()
                if k not in ("fastsettingsmaate", "kidnummer", "plassertInnbetaling", "plassertMotkrav")}
    if isinstance(item, list):
        return [_strip_optional(v) for v in item]
    return item


def routes(gate: Gate) -> list[Route]:
    state, faults, variants = gate.state, gate.faults, gate.variants
    d = data(state)

    def check_access(request: Request, call: Call, package: str, party: str) -> None:
        if call.org is None:  # no token at all (only under the accept-missing-token fault): served as asked
            return
        if package == "regnskapssystem":
            own = systemuser_id(call.claims) is not None and call.org == party
            if not own and not variants.on("kob-pilot-any-party"):
                if faults.on("kob-su-bare-403"):
                    raise BareRefusal()
                raise Reject(403, ec.AUTHORISATION)
            return
        if faults.on("kob-consent-ignored"):
            return
        header = request.headers.get(CONSENT_HEADER)
        if header:  # Altinn 2: the consent token in its own header
            try:
                claims = state.maskinporten.samtykke.verify(header.strip())
            except altinn.ConsentTokenError as exc:
                raise Reject(403, ec.AUTHORISATION) from exc
            if claims.get("OfferedBy") != party or claims.get("CoveredBy") != call.org:
                raise Reject(403, ec.AUTHORISATION)
            return
        given, from_party, valid_to = consent_party(call.claims)  # Altinn 3: the consent in the token
        consent = state.maskinporten.consent(given or "")
        if consent is None or from_party != party or (valid_to or 0) <= time.time():
            raise Reject(403, ec.AUTHORISATION)

    def present(item: Any) -> Any:
        item = json.loads(json.dumps(item))
        if variants.on("kob-optional-absent"):
            item = _strip_optional(item)
        return item

    def answer(call: Call, endpoint: str, body: dict[str, Any]) -> Response:
        if variants.on("kob-extra-fields"):
            body = {**body, "datakilde": "innkreving", "versjon": 2}
        if call.media == XML:
            if faults.on("kob-xml-differs"):
                listed = body.get("aapentKravMedGjenstaaendeBeloep") or body.get("krav") or []
                if listed:
                    listed[0] = {**listed[0], "gjenstaaendeBeloep": float(listed[0]["gjenstaaendeBeloep"]) + 1}
            return Response(to_xml(ROOTS[endpoint], body), media_type=XML)
        return JSONResponse(body)

    def handler(endpoint: str) -> Any:
        def handle(request: Request, call: Call) -> Response:
            header = request.headers.get(CONSENT_HEADER)
            if header:  # for the client-check judge: which consent token was sent (a digest, never the token)
                notes(request)["samtykke"] = hashlib.sha256(header.strip().encode()).hexdigest()[:12]
            try:
                return serve(request, call)
            except BareRefusal:
                return Response(b"", status_code=403)

        def serve(request: Request, call: Call) -> Response:
            p = request.path_params
            package, party = p["rettighetspakke"], p["partIdentifikator"]
            if package not in RETTIGHETSPAKKER:
                raise Reject(404, ec.UNKNOWN_URL)
            if not (orgnr_ok(party) or fnr_ok(party)):
                raise Reject(400, ec.VALIDATION)
            q = request.query_params
            fra, til = q.get("fraOgMed"), q.get("tilOgMed")
            if endpoint != "aapnekrav":
                til = til or dt.date.today().isoformat()
                if fra is None and endpoint != "krav":  # without fraOgMed: the year up to tilOgMed
                    end = parse_date(til)
                    fra = one_year_before(end).isoformat() if end else til
                if period_problem(fra, til) is not None and not faults.on("kob-lenient-period"):
                    raise Reject(400, ec.VALIDATION)
            known = d.parties.get(party)
            if known is None:
                raise Reject(404, ec.NO_DATA if faults.on("kob-unknown-party-007") else ec.NOT_FOUND)
            check_access(request, call, package, party)
            if endpoint == "aapnekrav":
                return answer(call, endpoint, aapnekrav(party, known))
            assert fra is not None and til is not None
            items = present(in_period(getattr(known, endpoint), endpoint, fra, til))
            if not items and not variants.on("kob-empty-200"):
                raise Reject(404, ec.NO_DATA)
            if endpoint == "innbetalinger" and faults.on("kob-innbetaling-outside") and items:
                items.insert(0, {**items[0], "innbetalingsdato": _shift(fra, -1)})
            if endpoint == "utbetalinger" and faults.on("kob-utbetaling-outside") and items:
                items.append({**items[-1], "utbetaltdato": _shift(til, 1)})
            echoed = _shift(til, 1) if endpoint == "krav" and faults.on("kob-krav-period-echo") else til
            return answer(call, endpoint, {"partIdentifikator": party, "periode": {"fraOgMed": fra,
                                                                                   "tilOgMed": echoed},
                                           "skjermet": False, LIST_FIELD[endpoint]: items})
        return handle

    def aapnekrav(party: str, known: Party) -> dict[str, Any]:
        claims = present([k for k in known.krav if float(k.get("gjenstaaendeBeloep") or 0) != 0])
        unplaced = present([i for i in known.innbetalinger if float(i.get("uplassertBeloep") or 0) > 0])
        total, per_group = overview(claims, unplaced)
        if faults.on("kob-totals-wrong"):
            total["saldo"] = round(total["saldo"] + 100, 2)
        return {"partIdentifikator": PART_UTEN_DATA if faults.on("kob-aapne-other-party") else party,
                "skjermet": False, "aapentKravMedGjenstaaendeBeloep": claims,
                "innbetalingMedUplassertBeloep": unplaced, "totalOversikt": total,
                "oversiktPerKravgruppe": per_group}

    out = []
    for endpoint in ROOTS:
        path = f"/{{rettighetspakke}}/{{partIdentifikator}}/{endpoint}"
        route = gate.route(path, handler(endpoint))
        out += [route, Route(OLD_GATEWAY_ROOT + path, route.endpoint, methods=["GET"])]  # the same, both forms
    return out


class BareRefusal(Exception):
    """A 403 without the error body (the kob-su-bare-403 fault)."""


def _shift(day: str, days: int) -> str:
    try:
        return (dt.date.fromisoformat(day) + dt.timedelta(days=days)).isoformat()
    except ValueError:
        return day
