"""What the common checks (auth, errors, 406, operations) need to know of Trukket kildeskatt på lønn.

Its codes are documented on its page (TKL-001..009), so neither the prefix nor the 406 is an assumption here; XML
is a format it serves (``Accept: application/xml``), so the unsupported one is ``text/csv``.
Source: https://skatteetaten.github.io/api-dokumentasjon/api/trukketkildeskattpaaloenn
"""

from __future__ import annotations

from typing import Any

from conformance.errorcodes import standard
from conformance.profiles.base import CommonSetup, ErrorSample

PREFIX = "TKL"

TRUKKET_KILDESKATT = standard(
    PREFIX, no_data="Fant ingen trukket kildeskatt for oppgitt inntektsår og identifikator",
    not_found="Ingen treff på oppgitt personidentifikator")


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
