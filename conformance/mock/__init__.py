"""The bundled mock: Maskinporten and the Trekkpålegg API, strict, deterministic, with fault switches."""

from conformance.mock.app import create_app
from conformance.mock.faults import FAULTS, Faults
from conformance.mock.server import RunningMock, serve
from conformance.mock.state import EMPTY_ORG, EXAMPLES_ORG, GENERATED_ORG, MockState, seeded_state


def seeded_orgs(generated: int) -> dict[str, str]:
    """The organisations the embedded mock serves (``seeded_state``), with what each one holds."""
    orgs = {EXAMPLES_ORG: "examples", EMPTY_ORG: "empty"}
    if generated:
        orgs[GENERATED_ORG] = f"generated, {generated}"
    return orgs


__all__ = ["EMPTY_ORG", "EXAMPLES_ORG", "FAULTS", "GENERATED_ORG", "Faults", "MockState", "RunningMock",
           "create_app", "seeded_orgs", "seeded_state", "serve"]
