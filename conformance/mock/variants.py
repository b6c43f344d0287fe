"""Variants: documented variations a real server may show, which the checks must tolerate (the mirror image of
the fault switches). Each variant names what it changes and what the run must then show: ``passes`` (a
documented variation: no failure, perhaps a warning), or ``assumption`` (it differs from a named assumption:
a warning naming it, and a pass with ``--assume``).

``sbs-conformance run --mock-variant NAME`` and ``sbs-conformance mock serve --variant NAME`` turn them on.
"""

from __future__ import annotations

from conformance.mock.switches import Switches

#: name -> (what the run must show, what the mock then does, the assumption it differs from, if any)
VARIANTS: dict[str, tuple[str, str, str | None]] = {
    "das-002-unknown-path": ("passes", "answers an unknown path with 404 and the common code DAS-002", None),
    "gateway-404": ("passes", "answers an unknown path with the gateway's plain-text 404 NOT FOUND", None),
    "sluttdato-null": ("passes", 'writes an open period\'s end as "sluttdato": null ([default til null])', None),
    "opprettet-local-time": ("passes", "writes opprettet without a zone (ISO 8601 local time)", None),
    "basic-dates": ("passes", "writes startdato and sluttdato in the basic form YYYYMMDD", None),
    "version-extra-field": ("passes", "adds a field the OpenAPI document does not know to the version answer", None),
    "empty-body": ("assumption", "answers an organisation without data with 200 and an empty body",
                   "A-TP-EMPTY-BODY"),
    "feil-md-statuses": ("assumption", "answers a missing token with 403 and a wrong scope with 401, as feil.md "
                         "words them", "A-TP-AUTH-STATUS"),
    "error-prefix-tp": ("assumption", "uses the prefix TP- in its error codes", "A-TP-ERROR-PREFIX"),
}


class Variants(Switches):
    KNOWN = VARIANTS
    KIND = "variant"
