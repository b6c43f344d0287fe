"""The one table of Trekkpålegg error codes: the mock answers with it and the checks judge by it.

Skatteetaten's Trekkpålegg page lists the Krav og betalinger codes (KB-001..009); the real prefix of the
Trekkpålegg service is undocumented, so the prefix is configurable and checks judge the number only.
Source: https://skatteetaten.github.io/api-dokumentasjon/api/trekkpaalegg (tab Feilkoder) and
https://skatteetaten.github.io/api-dokumentasjon/om/feil.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

DEFAULT_PREFIX = "KB"

#: Shape of a documented code: letters (optionally with underscores) followed by three digits.
KODE_PATTERN = re.compile(r"^[A-Z][A-Z_]*-[0-9]{3}$")


@dataclass(frozen=True)
class ErrorCode:
    number: str
    statuses: tuple[int, ...]
    melding: str


#: number -> documented HTTP status(es) and the mock's message.
CODES: dict[str, ErrorCode] = {
    c.number: c
    for c in (
        ErrorCode("001", (500,), "Uventet feil på tjenesten"),
        ErrorCode("002", (500,), "Uventet feil i et bakenforliggende system"),
        ErrorCode("003", (404,), "Ukjent url benyttet"),
        ErrorCode("004", (401,), "Feil i forbindelse med autentisering"),
        ErrorCode("005", (403,), "Feil i forbindelse med autorisering"),
        ErrorCode("006", (400,), "Feil i forbindelse med validering av inputdata"),
        ErrorCode("007", (404,), "Fant ingen trekkpålegg på angitt identifikator"),
        ErrorCode("008", (406,), "Feil tilknyttet dataformat. Kun json er støttet"),
        ErrorCode("009", (404,), "Ingen treff på oppgitt identifikator"),
    )
}

# Situation -> code number, for the mock.
UNEXPECTED = "001"
UNKNOWN_URL = "003"
AUTHENTICATION = "004"
AUTHORISATION = "005"
VALIDATION = "006"
NOT_FOUND = "009"
FORMAT = "008"


def kode(number: str, prefix: str = DEFAULT_PREFIX) -> str:
    return f"{prefix}-{number}"


def documented_statuses(kode_value: str) -> tuple[int, ...] | None:
    """HTTP statuses the code's number is documented with, or None when the number is not in the table."""
    if not KODE_PATTERN.match(kode_value):
        return None
    entry = CODES.get(kode_value.rsplit("-", 1)[1])
    return entry.statuses if entry else None
