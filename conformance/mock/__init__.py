"""The bundled mock: Maskinporten and the served APIs (profiles) behind one gate, strict, deterministic, with
fault switches and documented variants."""

from conformance.mock.app import create_app
from conformance.mock.faults import Faults
from conformance.mock.server import RunningMock, serve
from conformance.mock.state import MOCK_ORG, Behaviour, MockState, seeded_state
from conformance.mock.variants import Variants

__all__ = ["MOCK_ORG", "Behaviour", "Faults", "MockState", "RunningMock", "Variants", "create_app", "seeded_state",
           "serve"]
