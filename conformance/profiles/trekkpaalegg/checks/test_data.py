"""Data quality (recommended): identifiers and periods, judged on every item, one at a time."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import pytest

from conformance.messages import Message
from conformance.outcomes import expect
from conformance.profiles.trekkpaalegg.datarules import identifier_problems, period_problems

NAMED = 3  # problems named in the message; the count says how many there are


def _problems(items: Iterable[dict[str, Any]], rule: Callable[[dict[str, Any]], list[Message]]) -> Message | None:
    count, named = 0, []
    for item in items:
        found = rule(item)
        count += len(found)
        named += found[:NAMED - len(named)]
    if not count:
        return None
    return Message("run.some_of", {"shown": named, "total": count}) if count > NAMED else Message(
        "run.list", {"items": named})


@pytest.mark.requirement("TP-DATA-01")
def test_identifiers_valid(liste):
    found = _problems(liste, identifier_problems)
    expect(found is None, "tp.data.problems", found=found)


@pytest.mark.requirement("TP-DATA-02")
def test_periods_consistent(liste):
    found = _problems(liste, period_problems)
    expect(found is None, "tp.data.problems", found=found)
