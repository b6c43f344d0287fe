"""What the common checks (auth, errors, 406, operations) need to know of the Trekkpålegg API.

The Trekkpålegg page lists the Krav og betalinger codes (KB-001..009); the real prefix of the Trekkpålegg service
is undocumented, so it is a named assumption (A-TP-ERROR-PREFIX) and the mock's prefix is configurable.
Source: https://skatteetaten.github.io/api-dokumentasjon/api/trekkpaalegg (tab Feilkoder).
"""

from __future__ import annotations

from typing import Any

from conformance.errorcodes import standard
from conformance.profiles.base import CommonSetup, ErrorSample

PREFIX = "KB"

#: The Trekkpålegg API's table, as the page lists it (the Krav og betalinger codes).
TREKKPAALEGG = standard(PREFIX, no_data="Fant ingen trekkpålegg på angitt identifikator", formats="Kun json er støttet")


def _samples(target: Any) -> list[ErrorSample]:
    """The API's own error situations, besides those every API has."""
    return [ErrorSample("tp.err.sample_only_maks", params={"maksAntall": "5"}),
            ErrorSample("tp.err.sample_unknown_trekkid", "/sbs-finnes-ikke/1")]


def _operation(path: str) -> str:
    return "list" if path.strip("/") == "" else "version/other"


COMMON = CommonSetup(
    error_table=TREKKPAALEGG,
    probe=lambda target: "",  # the list: a valid token is always served (200, [] before data exist)
    unknown_path="/finnes-ikke/1/2",
    unsupported_accept="application/xml",
    auth_status_assumption="A-TP-AUTH-STATUS",
    accept_assumption="A-TP-ACCEPT-406",
    error_prefix_assumption="A-TP-ERROR-PREFIX",
    error_samples=_samples,
    operation=_operation,
)
