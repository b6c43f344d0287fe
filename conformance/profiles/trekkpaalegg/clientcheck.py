"""The Trekkpålegg client check: scenarios, the truth to compare a client's state with, its judges. Its reference
client is the profile's ``reference`` module (``python -m conformance.clientcheck.reference`` runs it for
``SBS_API=trekkpaalegg``)."""

from __future__ import annotations

from typing import Any

from conformance.profiles.trekkpaalegg.judges import JUDGES
from conformance.profiles.trekkpaalegg.scenarios import SCENARIOS, truth


def ends_poll(entry: dict[str, Any]) -> bool:
    """For a system polled by hand: a sync ends with a short page answered 200."""
    return entry.get("kind") == "api" and entry.get("status") == 200 and bool(entry.get("short"))


__all__ = ["JUDGES", "SCENARIOS", "ends_poll", "truth"]
