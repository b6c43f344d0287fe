"""Fault switches: named ways in which the mock breaks one requirement on purpose.

Faults are data: the mock consults ``Faults.on(name)`` at the one place a rule is applied. The gate's faults
(Maskinporten and what every API shares) are here, each naming the common requirement it breaks by its suffix
(``AUTH-03`` is ``TP-AUTH-03`` for Trekkpålegg, ``TKS-AUTH-03`` for Trukket kildeskatt); each profile adds its own
(``Profile.faults``). Tests turn a fault on and prove that exactly the check for that requirement fails; vendors
can turn them on (``sbs-conformance mock serve --fault NAME``, ``sbs-conformance run --mock-fault NAME``) to see
what a failing report looks like.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from conformance.mock.switches import Switches

#: name -> (requirement suffix it breaks in every profile, what the mock then does)
COMMON_FAULTS: dict[str, tuple[str, str]] = {
    "token-response-incomplete": ("AUTH-01", "token response without expires_in and scope"),
    "jwks-wrong-key": ("AUTH-02", "publishes a key at /jwk that did not sign the tokens"),
    "jwks-malformed": ("AUTH-02", "publishes a JWKS whose only key cannot be loaded (modulus not base64url)"),
    "accept-missing-token": ("AUTH-03", "serves data to requests without a token"),
    "accept-invalid-signature": ("AUTH-04", "does not verify the token signature"),
    "ignore-scope": ("AUTH-05", "does not check the token's scope"),
    "accept-expired-token": ("AUTH-06", "accepts expired tokens"),
    "unknown-path-400": ("ERR-01", "unknown path under the API gives 400"),
    "ignore-accept": ("ERR-02", "ignores an unsupported Accept header"),
    "reused-korrelasjonsid": ("ERR-03", "uses the same korrelasjonsid in every error"),
    "plain-text-errors": ("ERR-03", "error bodies as plain text"),
    "wrong-error-codes": ("ERR-04", "404 answers carry the 400 code (-006)"),
}


@cache
def known_faults() -> dict[str, tuple[str, str]]:
    """Every fault the mock knows: the gate's (requirement by suffix) and every profile's (full id)."""
    from conformance.profiles import profiles, switch_owners

    switch_owners()  # no two profiles define the same name
    out = dict(COMMON_FAULTS)
    for profile in profiles():
        out.update(profile.faults)
    return out


def faults_of(profile: Any) -> dict[str, str]:
    """fault name -> the requirement id it breaks, for one profile: the gate's and the profile's own."""
    return {**{name: profile.requirement(suffix) for name, (suffix, _) in COMMON_FAULTS.items()},
            **{name: req for name, (req, _) in profile.faults.items()}}


class Faults(Switches):
    KIND = "fault"

    @classmethod
    def known(cls) -> Mapping[str, Any]:
        return known_faults()
