"""The bundled mock: Maskinporten and the Trekkpålegg API, strict, deterministic, with fault switches."""

from conformance.mock.app import create_app
from conformance.mock.faults import FAULTS, Faults
from conformance.mock.server import RunningMock, serve
from conformance.mock.state import EMPTY_ORG, EXAMPLES_ORG, GENERATED_ORG, MockState, seeded_state

__all__ = ["EMPTY_ORG", "EXAMPLES_ORG", "FAULTS", "GENERATED_ORG", "Faults", "MockState", "RunningMock",
           "create_app", "seeded_state", "serve"]
