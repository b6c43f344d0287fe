"""Error-code tables, each under its prefix: the mock answers with them and the checks judge by them.

Every Skatteetaten application may answer with the common codes (``DAS-001``..``DAS-008``, feil.md "Felles
feilkoder"); each API adds its own table (its profile holds it), numbered by one scheme: ``-001`` 500 unexpected,
``-002`` 500 backend, ``-003`` 404 unknown URL, ``-004`` 401, ``-005`` 403, ``-006`` 400 validation, ``-007`` 404
no data, ``-008`` 406 format, ``-009`` 404 unknown id. A code is judged by the table of its own prefix, so a
``DAS-002`` 404 is right even though ``-002`` is a 500 in the API's table.
Source: https://skatteetaten.github.io/api-dokumentasjon/om/feil.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

#: Shape of a documented code: letters (optionally with underscores) followed by three digits.
KODE_PATTERN = re.compile(r"^[A-Z][A-Z_]*-[0-9]{3}$")


@dataclass(frozen=True)
class ErrorCode:
    number: str
    statuses: tuple[int, ...]
    melding: str


@dataclass(frozen=True)
class CodeTable:
    prefix: str
    codes: dict[str, ErrorCode]
    # A table numbered by another scheme (the event lists' FA-): situation number -> its own number, or a full
    # common code ("DAS-008") where it has none.
    situations: Mapping[str, str] = field(default_factory=dict)

    def with_prefix(self, prefix: str) -> CodeTable:
        return CodeTable(prefix, self.codes, self.situations)

    def for_situation(self, number: str) -> tuple[CodeTable, str]:
        """(the table, the number) that answer a situation (``UNKNOWN_URL``, ...)."""
        mapped = self.situations.get(number, number)
        if "-" in mapped:
            prefix, _, own = mapped.partition("-")
            assert prefix == COMMON.prefix, mapped
            return COMMON, own
        return self, mapped


def table(prefix: str, *codes: ErrorCode, situations: Mapping[str, str] | None = None) -> CodeTable:
    return CodeTable(prefix, {c.number: c for c in codes}, dict(situations or {}))


def standard(prefix: str, *, no_data: str, not_found: str = "Ingen treff på oppgitt identifikator",
             authorisation: str = "Feil i forbindelse med autorisering",
             formats: str = "Kun json eller xml er støttet", overrides: Iterable[ErrorCode] = ()) -> CodeTable:
    """An API's own table in the scheme most Skatteetaten APIs publish (-001 .. -009); ``overrides`` replace
    entries by number (e.g. a -009 that means "deleted")."""
    codes = {c.number: c for c in (
        ErrorCode("001", (500,), "Uventet feil på tjenesten"),
        ErrorCode("002", (500,), "Uventet feil i et bakenforliggende system"),
        ErrorCode("003", (404,), "Ukjent url benyttet"),
        ErrorCode("004", (401,), "Feil i forbindelse med autentisering"),
        ErrorCode("005", (403,), authorisation),
        ErrorCode("006", (400,), "Feil i forbindelse med validering av inputdata"),
        ErrorCode("007", (404,), no_data),
        ErrorCode("008", (406,), f"Feil tilknyttet dataformat. {formats}"),
        ErrorCode("009", (404,), not_found))}
    codes.update({c.number: c for c in overrides})
    return CodeTable(prefix, codes)


#: The common codes of every Skatteetaten application (feil.md).
COMMON = table(
    "DAS",
    ErrorCode("001", (500,), "Uventet feil. Kontakt support med applikasjon og korrelasjonsid"),
    ErrorCode("002", (404,), "Forespurt URL er ikke et gyldig endepunkt"),
    ErrorCode("003", (500,), "Informasjonen er midlertidig utilgjengelig; prøv igjen senere"),
    ErrorCode("004", (500,), "Feil i Skatteetatens interne autentisering"),
    ErrorCode("005", (500,), "Feil i Skatteetatens interne autentisering"),
    ErrorCode("006", (500,), "Feil i Skatteetatens interne autentisering"),
    ErrorCode("007", (500,), "Feil i Skatteetatens interne autentisering"),
    ErrorCode("008", (403,), "Du er ikke autorisert for den forespurte ressursen"),
)

# Situation -> code number, for the mock.
UNEXPECTED = "001"
UNKNOWN_URL = "003"
AUTHENTICATION = "004"
AUTHORISATION = "005"
VALIDATION = "006"
NO_DATA = "007"
NOT_FOUND = "009"
FORMAT = "008"
DAS_UNKNOWN_URL = "002"


def kode(number: str, prefix: str) -> str:
    return f"{prefix}-{number}"


@dataclass(frozen=True)
class Judgement:
    """What a code's tables say about it: ``statuses`` documented for it, or why it cannot be judged."""

    statuses: tuple[int, ...] | None
    known_prefix: bool


def judge(kode_value: str, tables: Iterable[CodeTable]) -> Judgement:
    """Look a code up in the table of its own prefix. An unknown prefix cannot be judged (known_prefix False);
    a known prefix with an unknown number has no statuses."""
    if not KODE_PATTERN.match(kode_value):
        return Judgement(None, False)
    prefix, number = kode_value.rsplit("-", 1)
    table = next((t for t in tables if t.prefix == prefix), None)
    if table is None:
        return Judgement(None, False)
    entry = table.codes.get(number)
    return Judgement(entry.statuses if entry else None, True)
