"""The Utleggstrekk client check: scenarios, the truth to compare a client's state with, its judges. Its reference
client is the profile's ``reference`` module (``python -m conformance.clientcheck.reference`` runs it for
``SBS_API=utleggstrekk``)."""

from __future__ import annotations

from typing import Any

from conformance.profiles.utleggstrekk.judges import JUDGES
from conformance.profiles.utleggstrekk.scenarios import SCENARIOS, served_env, truth


def ends_poll(entry: dict[str, Any]) -> bool:
    """For a system polled by hand: a poll ends with the page that reached the end of the list."""
    return entry.get("count") == 0


__all__ = ["JUDGES", "SCENARIOS", "ends_poll", "served_env", "truth"]
