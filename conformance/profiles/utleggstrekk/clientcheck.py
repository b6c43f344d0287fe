"""The Utleggstrekk client check: scenarios, the truth to compare a client's state with, its judges, and the
reference client (``python -m conformance.clientcheck.reference`` runs it for ``SBS_API=utleggstrekk``)."""

from __future__ import annotations

from typing import Any

from conformance.profiles.utleggstrekk.judges import JUDGES
from conformance.profiles.utleggstrekk.scenarios import SCENARIOS, served_env, truth


def ends_poll(entry: dict[str, Any]) -> bool:
    """For a system polled by hand: a poll ends with the page that reached the end of the list."""
    return entry.get("count") == 0


def reference_main() -> int:
    from conformance.profiles.utleggstrekk.reference import main

    return main()


__all__ = ["JUDGES", "SCENARIOS", "ends_poll", "reference_main", "served_env", "truth"]
