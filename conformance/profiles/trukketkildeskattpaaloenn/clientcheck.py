"""The Trukket kildeskatt client check: scenarios, the truth to compare a client's state with, its judges. Its reference
client is the profile's ``reference`` module (``python -m conformance.clientcheck.reference`` runs it for
``SBS_API=trukketkildeskattpaaloenn``)."""

from __future__ import annotations

from typing import Any

from conformance.profiles.trukketkildeskattpaaloenn.judges import JUDGES
from conformance.profiles.trukketkildeskattpaaloenn.scenarios import SCENARIOS, truth


def ends_poll(entry: dict[str, Any]) -> bool:
    """For a system polled by hand: each scenario is one poll (it ends when the mock stops)."""
    return False


__all__ = ["JUDGES", "SCENARIOS", "ends_poll", "truth"]
