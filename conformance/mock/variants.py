"""Variants: documented variations a real server may show, which the checks must tolerate (the mirror image of
the fault switches). Each variant names what it changes and what the run must then show: ``passes`` (a
documented variation: no failure, perhaps a warning), or ``assumption`` (it differs from a named assumption:
a warning naming it, and a pass with ``--assume``). The gate's variants are here; each profile adds its own.

``sbs-conformance run --mock-variant NAME`` and ``sbs-conformance mock serve --variant NAME`` turn them on.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from conformance.mock.switches import Switches

#: name -> (what the run must show, what the mock then does, the assumption it differs from: for the gate's, the
#: name of the profile's CommonSetup field that holds it)
COMMON_VARIANTS: dict[str, tuple[str, str, str | None]] = {
    "das-002-unknown-path": ("passes", "answers an unknown path with 404 and the common code DAS-002", None),
    "gateway-404": ("passes", "answers an unknown path with the gateway's plain-text 404 NOT FOUND", None),
    "feil-md-statuses": ("assumption", "answers a missing token with 403 and a wrong scope with 401, as feil.md "
                         "words them", "auth_status_assumption"),
}


@cache
def known_variants() -> dict[str, tuple[str, str, str | None]]:
    from conformance.profiles import profiles, switch_owners

    switch_owners()  # no two profiles define the same name
    out = dict(COMMON_VARIANTS)
    for profile in profiles():
        out.update(profile.variants)
    return out


def variants_of(profile: Any) -> dict[str, tuple[str, str, str | None]]:
    """The variants that apply to one profile, each with the assumption it differs from resolved for it."""
    common = {name: (kind, text, getattr(profile.common, a) if a else None)
              for name, (kind, text, a) in COMMON_VARIANTS.items()}
    return {**common, **profile.variants}


class Variants(Switches):
    KIND = "variant"

    @classmethod
    def known(cls) -> Mapping[str, Any]:
        return known_variants()
