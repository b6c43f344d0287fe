"""The Trekkpålegg client check: scenarios, the truth to compare a client's state with, its judges, and the
reference client (``python -m conformance.clientcheck.reference`` runs it for ``SBS_API=trekkpaalegg``)."""

from __future__ import annotations

from typing import Any

from conformance.profiles.trekkpaalegg.judges import JUDGES
from conformance.profiles.trekkpaalegg.scenarios import SCENARIOS, truth


def ends_poll(entry: dict[str, Any]) -> bool:
    """For a system polled by hand: a sync ends with a short page answered 200."""
    return entry.get("kind") == "api" and entry.get("status") == 200 and bool(entry.get("short"))


def reference_main() -> int:
    from conformance.profiles.trekkpaalegg.reference import main

    return main()


__all__ = ["JUDGES", "SCENARIOS", "ends_poll", "reference_main", "truth"]
