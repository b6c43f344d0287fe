"""What the common checks (auth, errors, 406, operations) need to know of Trukket kildeskatt på lønn.

Its codes are documented on its page (TKL-001..009), so neither the prefix nor the 406 is an assumption here; XML
is a format it serves (``Accept: application/xml``), so the unsupported one is ``text/csv``.
Source: https://skatteetaten.github.io/api-dokumentasjon/api/trukketkildeskattpaaloenn
"""

from __future__ import annotations

from typing import Any

from conformance.errorcodes import ErrorCode, table
from conformance.profiles.base import CommonSetup, ErrorSample

PREFIX = "TKL"

TRUKKET_KILDESKATT = table(
    PREFIX,
    ErrorCode("001", (500,), "Uventet feil på tjenesten"),
    ErrorCode("002", (500,), "Uventet feil i et bakenforliggende system"),
    ErrorCode("003", (404,), "Ukjent url benyttet"),
    ErrorCode("004", (401,), "Feil i forbindelse med autentisering"),
    ErrorCode("005", (403,), "Feil i forbindelse med autorisering"),
    ErrorCode("006", (400,), "Feil i forbindelse med validering av inputdata"),
    ErrorCode("007", (404,), "Fant ingen trukket kildeskatt for oppgitt inntektsår og identifikator"),
    ErrorCode("008", (406,), "Feil tilknyttet dataformat. Kun json eller xml er støttet"),
    ErrorCode("009", (404,), "Ingen treff på oppgitt personidentifikator"),
)


def lookup_path(target: Any, person: str | None = None, year: str | None = None, package: str | None = None) -> str:
    """The path of one lookup (A-TKS-PATH), by default the params' person with data."""
    p = target.params
    return f"/{package or p['rettighetspakke']}/{year or p['inntektsaar']}/{person or p['personidentifikator']}"


def _samples(target: Any) -> list[ErrorSample]:
    p = target.params
    out = [ErrorSample("tks.err.sample_ten_digits", lookup_path(target, person=p["personidentifikator"][:10])),
           ErrorSample("tks.err.sample_no_data", lookup_path(target, person=p["person_uten_data"]))]
    if p.get("ukjent_person"):
        out.append(ErrorSample("tks.err.sample_unknown_person", lookup_path(target, person=p["ukjent_person"])))
    return out


COMMON = CommonSetup(
    error_table=TRUKKET_KILDESKATT,
    probe=lookup_path,
    unknown_path="/ssb/2021/07088730296/finnes-ikke",
    unsupported_accept="text/csv",
    auth_status_assumption="A-TKS-AUTH-STATUS",
    error_samples=_samples,
    xml=True,
    operation=lambda path: "lookup",
)
