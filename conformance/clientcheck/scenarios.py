"""The client-check scenario model, for every API: deterministic data and behaviour for each poll of a vendor's
system, and Altinn as data (system users) for a systembruker client.

A profile's client check (``Profile.clientcheck``) defines its scenarios with :class:`Scenario`: each seeds the mock
for its first poll, may change the data before later polls, may give the client inputs (environment), and names
the client requirements it judges. The data belongs to the organisation the client acts for (:class:`Setting`):
the vendor's own, or in systembruker mode the customer whose system user it uses.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from conformance.mock.maskinporten import MockMaskinporten
from conformance.mock.state import MOCK_ORG, MockState

ORG = MOCK_ORG  # the vendor's organisation
SYSTEM_ID = f"{ORG}_sbs"  # its system in Altinn's system register (the id starts with the vendor's number)
EXTERNAL_REF = "lonn-avdeling-2"  # the external-ref scenario's second system user
OTHER_RIGHT = "ske-annen-tjeneste"  # a right that opens none of the APIs judged


@dataclass(frozen=True)
class Setting:
    """Whom the client acts for. ``customer`` set: systembruker mode (alternativ 2), the data is the customer's."""

    customer: str | None = None

    @property
    def data_org(self) -> str:
        return self.customer or ORG

    @property
    def systemuser(self) -> bool:
        return self.customer is not None


CLIENT = Setting()

Setup = Callable[[MockState, str], None]  # (state, data org)
Altinn = Callable[[MockMaskinporten, Setting, frozenset[str]], dict[str, str]]  # (..., the API's right) -> env


def approved_systemuser(mp: MockMaskinporten, setting: Setting, rights: frozenset[str]) -> dict[str, str]:
    """The ordinary systembruker set-up: the customer approved the vendor's system with the API's resource."""
    if setting.customer is not None:
        mp.add_systemuser(SYSTEM_ID, setting.customer, rights)
    return {}


def pending_systemuser(mp: MockMaskinporten, setting: Setting, rights: frozenset[str]) -> dict[str, str]:
    """The customer has been asked but has not approved yet (Altinn status pending)."""
    assert setting.customer is not None
    mp.add_systemuser(SYSTEM_ID, setting.customer, rights, status="pending")
    return {}


def two_systemusers(mp: MockMaskinporten, setting: Setting, rights: frozenset[str]) -> dict[str, str]:
    """Two system users of one customer: the default one lacks the API's resource, the one with ``externalRef``
    holds it. Only a grant that names the externalRef gets a token the API accepts."""
    assert setting.customer is not None
    mp.add_systemuser(SYSTEM_ID, setting.customer, frozenset({OTHER_RIGHT}))
    mp.add_systemuser(SYSTEM_ID, setting.customer, rights, external_ref=EXTERNAL_REF)
    return {"SBS_EXTERNAL_REF": EXTERNAL_REF}


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    requirements: tuple[str, ...]
    setup: Setup
    polls: int = 1
    between: Callable[[MockState, int, str], None] | None = None  # (state, poll n = 2, 3, ..., data org)
    expect_success: bool = True
    altinn: Altinn = approved_systemuser
    systemuser_only: bool = False  # judges a systembruker client only (client-check --systemuser)
    env: Callable[[MockState, Setting], dict[str, str]] | None = None  # the client's inputs for this scenario
    everywhere_systemuser: str | None = None  # the requirement judged in every scenario of a systembruker run

    def requirements_for(self, setting: Setting) -> tuple[str, ...]:
        extra = self.everywhere_systemuser
        if setting.systemuser and extra and extra not in self.requirements:
            return (*self.requirements, extra)
        return self.requirements


def selectable(scenarios: dict[str, Scenario], setting: Setting) -> list[str]:
    """The scenarios ``all`` means in this mode: the systembruker ones only with a customer."""
    return [name for name, s in scenarios.items() if setting.systemuser or not s.systemuser_only]


__all__ = ["CLIENT", "EXTERNAL_REF", "ORG", "SYSTEM_ID", "Scenario", "Setting", "approved_systemuser",
           "pending_systemuser", "selectable", "two_systemusers"]
