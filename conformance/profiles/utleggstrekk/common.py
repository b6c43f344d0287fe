"""What the common checks need to know of Utleggstrekk: the event list's host answers with the event lists' FA-
codes (documented, their own numbering), the lookup's host with the OAF- codes published on the page (copied
from Opptjeningsgrunnlag arbeidsforhold: assumption A-UTT-ERROR-PREFIX); the lookup's path and base URL.
Sources: https://skatteetaten.github.io/api-dokumentasjon/api/hendelser,
https://skatteetaten.github.io/api-dokumentasjon/api/utleggstrekk
"""

from __future__ import annotations

from typing import Any

from conformance import errorcodes as ec
from conformance.errorcodes import ErrorCode, standard, table
from conformance.profiles.base import CommonSetup, ErrorSample, EventListSetup
from conformance.profiles.utleggstrekk import LOOKUP_BASE, LOOKUP_MOUNT

#: The event lists' table (hendelser.md): numbered by its own scheme, without a 403 code of its own.
HENDELSER = table(
    "FA",
    ErrorCode("001", (500,), "Uventet feil på tjenesten"),
    ErrorCode("002", (404,), "Ukjent url benyttet"),
    ErrorCode("003", (401,), "Feil i forbindelse med autentisering"),
    ErrorCode("004", (400,), "Feil i forbindelse med validering av inputdata"),
    ErrorCode("005", (404,), "Ingen hendelser funnet for oppgitt input"),
    ErrorCode("006", (406,), "Feil tilknyttet dataformat. Kun json eller xml er støttet"),
    situations={ec.UNKNOWN_URL: "002", ec.AUTHENTICATION: "003", ec.VALIDATION: "004", ec.NO_DATA: "005",
                ec.NOT_FOUND: "005", ec.FORMAT: "006", ec.AUTHORISATION: "DAS-008", "002": "001"},
)

#: The lookup's table as published (OAF-, copied from another API); -009 "data deleted" answers 410 as the common
#: rule for deleted data says, though the table shows 406 (A-UTT-DELETED-410).
UTLEGGSTREKK = standard("OAF", no_data="Fant ingen utleggstrekk for oppgitt identifikator og periode",
                        overrides=[ErrorCode("009", (410, 406), "Data for perioden er slettet")])
DELETED = "009"


def lookup_base(target: Any) -> str:
    """The lookup's base URL: ``--param lookup_base_url``, else the mock's own, else the target's assumed host."""
    given = target.params.get("lookup_base_url")
    if given:
        return given.rstrip("/")
    if target.mock is not None or target.run.settings.target == "mock":
        origin = target.mock.origin if target.mock is not None else target.run.settings.base_url.rstrip("/")
        return origin + LOOKUP_MOUNT
    return LOOKUP_BASE[target.run.settings.target]


def lookup_path(target: Any, identifikator: str) -> str:
    return f"/{target.params['rettighetspakke']}/{identifikator}"


def period_params(periode: str | None) -> dict[str, str]:
    """The lookup's period for an event's gjelderPeriode (YYYY-MM, or a whole year YYYY)."""
    if not periode:
        return {}
    if len(periode) == 4:
        return {"fraOgMed": f"{periode}-01", "tilOgMed": f"{periode}-12"}
    return {"fraOgMed": periode[:7], "tilOgMed": periode[:7]}


def _samples(target: Any) -> list[ErrorSample]:
    return [ErrorSample("utt.err.sample_antall_0", "/hendelser", params={"fraSekvensnummer": "1", "antall": "0"}),
            ErrorSample("utt.err.sample_lookup_unknown_path", "/finnes/ikke/her", host="lookup"),
            ErrorSample("utt.err.sample_lookup_no_data", lookup_path(target, target.params["identifikator"]),
                        host="lookup")]


COMMON = CommonSetup(
    error_table=HENDELSER,
    probe=lambda target: "/hendelser?fraSekvensnummer=1&antall=1",
    unknown_path="/finnes-ikke",
    unsupported_accept="text/csv",
    auth_status_assumption="A-UTT-AUTH-STATUS",
    error_samples=_samples,
    xml=True,
    operation=lambda path: "start" if path.startswith("/hendelser/start") else (
        "hendelser" if path.startswith("/hendelser") else "lookup"),
    event_list=EventListSetup(start_dato=lambda target: target.params["start_dato"],
                              past_end_assumption="A-UTT-PAST-END"),
    hosts=lambda target: {"lookup": lookup_base(target)},
    other_tables=(UTLEGGSTREKK,),
)
